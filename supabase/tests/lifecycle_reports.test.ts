/** The reports that end an attempt (complete, fail, canceled) and the owner's cancel. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { balances, claim, createJob, createUser, createWorker, eventTypes, setSetting } from "./helpers/fixtures.ts";
import { refused, useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const l = useLifecycleDatabase();

describe("complete and fail", () => {
  it("completes with outputs, keeps the charge, and refuses a second report", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["done"]);
    await createJob(l.db, owner, { type: "done", cost: 40 });
    const [c] = await claim(l.db, worker, 1, ["done"]);
    const outputs = [{ path: `${owner}/${c.id}/out_00001.png`, content_type: "image/png", size: 1234 }];
    const done = await l.call("kiln.complete_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, outputs]);
    assert.equal(done.status, "succeeded");
    assert.deepEqual(done.outputs, outputs);
    const row = await l.job(c.id);
    assert.ok(row.finished_at);
    assert.equal(row.lease_expires_at, null);
    assert.deepEqual(await balances(l.db, owner), { credits: 2960, ledger: 2960 });
    await refused(l.call("kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]), "lease_lost");
    await refused(l.call("kiln.fail_job($1, $2, $3, '{}')", [c.id, worker, c.fencing_token]), "lease_lost");
  });

  it("completes several jobs in one call, answering a job no longer held apart", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["many"]);
    for (let i = 0; i < 3; i++) await createJob(l.db, owner, { type: "many", cost: 10 });
    const [a, b, c] = await claim(l.db, worker, 3, ["many"]);
    const unknown = "00000000-0000-4000-8000-000000000077";
    const outputs = [{ path: `${owner}/${a.id}/out_00001.png`, content_type: "image/png", size: 12 }];
    const answers = await l.call<{ id: string; held: boolean; sqlstate?: string; job?: { status: string } }[]>(
      "kiln.complete_jobs($1, $2)",
      [
        worker,
        [
          { id: a.id, fencing_token: a.fencing_token, outputs },
          { id: b.id, fencing_token: String(Number(b.fencing_token) + 1000), outputs: [] },
          { id: unknown, fencing_token: "1", outputs: [] },
          { id: c.id, fencing_token: c.fencing_token, outputs: [] },
        ],
      ],
    );
    assert.deepEqual(
      answers.map((r) => [r.id, r.held, r.sqlstate ?? r.job?.status]),
      [
        [a.id, true, "succeeded"],
        [b.id, false, "KL006"],
        [unknown, false, "KL005"],
        [c.id, true, "succeeded"],
      ],
    );
    assert.deepEqual((await l.job(a.id)).outputs, outputs);
    assert.equal((await l.job(b.id)).status, "running", "a stale token changes nothing");
    for (const id of [a.id, c.id]) {
      assert.deepEqual(await eventTypes(l.db, id), ["job.queued", "job.started", "job.succeeded"]);
    }
  });

  it("re-queues a retryable failure with backoff, then fails for good and refunds when attempts run out", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["oom"]);
    await setSetting(l.db, "retry_backoff", { base_seconds: 60, max_seconds: 600 });
    try {
      const { job: created } = await createJob(l.db, owner, { type: "oom", cost: 30, maxAttempts: 2 });
      const oom = { code: "out_of_memory", message: "CUDA out of memory", retryable: true, node: "3" };
      let [c] = await claim(l.db, worker, 1, ["oom"]);
      const first = await l.call("kiln.fail_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, oom]);
      assert.equal(first.status, "queued");
      const delay = (await l.job(created.id)).run_after.getTime() - Date.now();
      assert.ok(delay > 40_000 && delay < 80_000, `backoff of about 60 s ±25%, got ${delay} ms`);
      assert.deepEqual(await claim(l.db, worker, 1, ["oom"]), [], "not claimable during backoff");

      await l.db.query("update public.jobs set run_after = now() where id = $1", [created.id]);
      [c] = await claim(l.db, worker, 1, ["oom"]);
      assert.equal(c.attempts, 2);
      const last = await l.call("kiln.fail_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, oom]);
      assert.equal(last.status, "failed");
      assert.equal(last.error?.code, "out_of_memory");
      assert.deepEqual(await balances(l.db, owner), { credits: 3000, ledger: 3000 });
      assert.deepEqual(await eventTypes(l.db, created.id), [
        "job.queued",
        "job.started",
        "job.queued",
        "job.started",
        "job.failed",
      ]);
    } finally {
      await setSetting(l.db, "retry_backoff", { base_seconds: 0, max_seconds: 0 });
    }
  });

  it("fails a non-retryable error at once, keeps its details, and refunds", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["invalid"]);
    await createJob(l.db, owner, { type: "invalid", cost: 15 });
    const [c] = await claim(l.db, worker, 1, ["invalid"]);
    const error = {
      code: "comfyui_validation",
      message: "Prompt outputs failed validation",
      retryable: false,
      details: { node_errors: { "3": { errors: [{ type: "value_not_in_list" }] } } },
    };
    const failed = await l.call("kiln.fail_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, error]);
    assert.equal(failed.status, "failed");
    assert.deepEqual((failed.error as unknown as typeof error).details, error.details);
    assert.deepEqual(await balances(l.db, owner), { credits: 3000, ledger: 3000 });
  });

  it("does not retry past the deadline", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["deadline_retry"]);
    await setSetting(l.db, "retry_backoff", { base_seconds: 120, max_seconds: 120 });
    try {
      await createJob(l.db, owner, { type: "deadline_retry", deadlineSeconds: 30 });
      const [c] = await claim(l.db, worker, 1, ["deadline_retry"]);
      const r = await l.call("kiln.fail_job($1, $2, $3, $4)", [
        c.id,
        worker,
        c.fencing_token,
        { code: "x", message: "x", retryable: true },
      ]);
      assert.equal(r.status, "failed");
    } finally {
      await setSetting(l.db, "retry_backoff", { base_seconds: 0, max_seconds: 0 });
    }
  });
});
describe("cancel", () => {
  it("cancels a queued job at once and refunds it", async () => {
    const owner = await createUser(l.db);
    const { job: created } = await createJob(l.db, owner, { cost: 50 });
    const canceled = await l.call("kiln.cancel_job($1, $2)", [created.id, owner]);
    assert.equal(canceled.status, "canceled");
    assert.deepEqual(await balances(l.db, owner), { credits: 3000, ledger: 3000 });
    assert.deepEqual(await eventTypes(l.db, created.id), ["job.queued", "job.canceled"]);
  });

  it("asks the worker to stop a running job; its report makes it canceled and refunded", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["cancel_run"]);
    const { job: created } = await createJob(l.db, owner, { type: "cancel_run", cost: 50 });
    const [c] = await claim(l.db, worker, 1, ["cancel_run"]);
    const requested = await l.call("kiln.cancel_job($1, $2)", [created.id, owner]);
    assert.equal(requested.status, "running");
    assert.equal(requested.cancel_requested, true);
    await l.call("kiln.cancel_job($1, $2)", [created.id, owner]);
    const beat = await l.call<{ cancel_requested: boolean }>("kiln.heartbeat($1, $2, $3)", [
      c.id,
      worker,
      c.fencing_token,
    ]);
    assert.equal(beat.cancel_requested, true);
    const done = await l.call("kiln.report_canceled($1, $2, $3)", [c.id, worker, c.fencing_token]);
    assert.equal(done.status, "canceled");
    assert.deepEqual(await balances(l.db, owner), { credits: 3000, ledger: 3000 });
    assert.deepEqual(await eventTypes(l.db, created.id), [
      "job.queued",
      "job.started",
      "job.cancel_requested",
      "job.canceled",
    ]);
  });

  it("ends a cancel-requested job canceled when its worker reports a failure instead", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["cancel_fail"]);
    const { job: created } = await createJob(l.db, owner, { type: "cancel_fail" });
    const [c] = await claim(l.db, worker, 1, ["cancel_fail"]);
    await l.call("kiln.cancel_job($1, $2)", [created.id, owner]);
    const r = await l.call("kiln.fail_job($1, $2, $3, $4)", [
      c.id,
      worker,
      c.fencing_token,
      { code: "interrupted", message: "x", retryable: true },
    ]);
    assert.equal(r.status, "canceled");
  });

  it("refuses to report canceled without a cancel request", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["cancel_none"]);
    await createJob(l.db, owner, { type: "cancel_none" });
    const [c] = await claim(l.db, worker, 1, ["cancel_none"]);
    await refused(l.call("kiln.report_canceled($1, $2, $3)", [c.id, worker, c.fencing_token]), "invalid_state");
  });

  it("refuses to cancel a finished job, and another owner's job as if it did not exist", async () => {
    const owner = await createUser(l.db);
    const stranger = await createUser(l.db);
    const { job: created } = await createJob(l.db, owner);
    await refused(l.call("kiln.cancel_job($1, $2)", [created.id, stranger]), "not_found");
    await l.call("kiln.cancel_job($1, $2)", [created.id, owner]);
    const error = await refused(l.call("kiln.cancel_job($1, $2)", [created.id, owner]), "invalid_state");
    assert.equal(error.details?.status, "canceled");
  });
});
