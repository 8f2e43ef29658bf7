/** Every transition of the job lifecycle, and every refused one, on a real database. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Database } from "../../scripts/db/database.ts";
import { fromDatabaseError, KilnError } from "../../shared/errors.ts";
import {
  balances,
  claim,
  createJob,
  createUser,
  createWorker,
  eventTypes,
  type JobSummary,
  setSetting,
} from "./helpers/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test_database.ts";

let t: TestDatabase;
let db: Database;
before(async () => {
  t = await createTestDatabase();
  db = t.db;
  await setSetting(db, "retry_backoff", { base_seconds: 0, max_seconds: 0 });
});
after(() => t.drop());

/** Asserts that `promise` is refused with the Kiln error `code`. */
async function refused(promise: Promise<unknown>, code: string): Promise<KilnError> {
  try {
    await promise;
  } catch (error) {
    const mapped = fromDatabaseError(error);
    assert.ok(mapped instanceof KilnError, `expected a Kiln error ${code}, got ${String(error)}`);
    assert.equal(mapped.code, code);
    return mapped;
  }
  assert.fail(`expected a refusal with ${code}`);
}

async function call<T = JobSummary>(sql: string, params: unknown[]): Promise<T> {
  const [row] = await db.query<{ r: T }>(`select ${sql} as r`, params);
  return row.r;
}

async function job(id: string): Promise<JobSummary & { lease_expires_at: Date | null; run_after: Date }> {
  const [row] = await db.query<JobSummary & { lease_expires_at: Date | null; run_after: Date }>(
    "select * from public.jobs where id = $1",
    [id],
  );
  return row;
}

describe("create", () => {
  it("queues the job, charges its cost and logs job.queued", async () => {
    const owner = await createUser(db);
    const { job: created, replayed } = await createJob(db, owner, { cost: 25 });
    assert.equal(created.status, "queued");
    assert.equal(replayed, false);
    assert.equal(created.attempts, 0);
    assert.deepEqual(await balances(db, owner), { credits: 2975, ledger: 2975 });
    assert.deepEqual(await eventTypes(db, created.id), ["job.queued"]);
  });

  it("gives new accounts the signup grant from settings", async () => {
    await setSetting(db, "signup_grant_credits", 500);
    const owner = await createUser(db);
    await setSetting(db, "signup_grant_credits", 3000);
    assert.deepEqual(await balances(db, owner), { credits: 500, ledger: 500 });
  });

  it("returns the same job for the same Idempotency-Key and request", async () => {
    const owner = await createUser(db);
    const first = await createJob(db, owner, { idempotencyKey: "k1", requestHash: "a".repeat(64) });
    const again = await createJob(db, owner, { idempotencyKey: "k1", requestHash: "a".repeat(64) });
    assert.equal(again.job.id, first.job.id);
    assert.equal(again.replayed, true);
    assert.equal((await balances(db, owner)).credits, 2990, "a replay charges nothing");
  });

  it("refuses an Idempotency-Key reused with a different request", async () => {
    const owner = await createUser(db);
    const first = await createJob(db, owner, { idempotencyKey: "k2", requestHash: "a".repeat(64) });
    const error = await refused(
      createJob(db, owner, { idempotencyKey: "k2", requestHash: "b".repeat(64) }),
      "idempotency_key_reused",
    );
    assert.equal(error.details?.job_id, first.job.id);
  });

  it("lets two owners use the same Idempotency-Key independently", async () => {
    const a = await createUser(db);
    const b = await createUser(db);
    const ja = await createJob(db, a, { idempotencyKey: "shared", requestHash: "h" });
    const jb = await createJob(db, b, { idempotencyKey: "shared", requestHash: "h" });
    assert.notEqual(ja.job.id, jb.job.id);
  });

  it("refuses while the maintenance switch is on, with its reason", async () => {
    const owner = await createUser(db);
    await setSetting(db, "maintenance", { enabled: true, reason: "upgrading the GPUs until 14:00 UTC" });
    try {
      const error = await refused(createJob(db, owner), "maintenance");
      assert.match(error.message, /upgrading the GPUs/);
    } finally {
      await setSetting(db, "maintenance", { enabled: false, reason: null });
    }
  });

  it("refuses past the per-owner cap on queued + running jobs", async () => {
    const owner = await createUser(db);
    await db.query("update public.profiles set max_active_jobs = 2 where id = $1", [owner]);
    await createJob(db, owner);
    await createJob(db, owner);
    const error = await refused(createJob(db, owner), "too_many_active_jobs");
    assert.equal(error.details?.limit, 2);
  });

  it("refuses a job the balance cannot pay for, charging nothing", async () => {
    const owner = await createUser(db, { credits: 5 });
    const error = await refused(createJob(db, owner, { cost: 6 }), "insufficient_credits");
    assert.deepEqual(error.details, { cost: 6, balance: 5 });
    assert.deepEqual(await balances(db, owner), { credits: 5, ledger: 5 });
  });

  it("refuses an owner without a profile", async () => {
    await refused(createJob(db, "00000000-0000-0000-0000-000000000001"), "not_found");
  });
});

describe("claim", () => {
  it("hands out jobs by priority, then age, with a lease and a fresh fencing token", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["claim_order"]);
    const low = await createJob(db, owner, { type: "claim_order", priority: -5 });
    const normal1 = await createJob(db, owner, { type: "claim_order" });
    const normal2 = await createJob(db, owner, { type: "claim_order" });
    const high = await createJob(db, owner, { type: "claim_order", priority: 50 });
    const claimed = await claim(db, worker, 10, ["claim_order"]);
    assert.deepEqual(
      claimed.map((c) => c.id),
      [high.job.id, normal1.job.id, normal2.job.id, low.job.id],
    );
    assert.equal(new Set(claimed.map((c) => c.fencing_token)).size, 4);
    for (const c of claimed) {
      const row = await job(c.id);
      assert.equal(row.status, "running");
      assert.equal(row.phase, "claimed");
      assert.equal(row.attempts, 1);
      assert.ok(row.lease_expires_at && row.lease_expires_at.getTime() > Date.now());
      assert.deepEqual(await eventTypes(db, c.id), ["job.queued", "job.started"]);
    }
  });

  it("claims at most n jobs", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["claim_n"]);
    for (let i = 0; i < 3; i++) await createJob(db, owner, { type: "claim_n" });
    assert.equal((await claim(db, worker, 2, ["claim_n"])).length, 2);
    assert.equal((await claim(db, worker, 2, ["claim_n"])).length, 1);
  });

  it("never hands out a job type the worker did not ask for", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["upscale_only"]);
    await createJob(db, owner, { type: "txt2img_only" });
    assert.deepEqual(await claim(db, worker, 5, ["upscale_only"]), []);
  });

  it("skips jobs not yet due and jobs past their deadline", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["claim_due"]);
    const later = await createJob(db, owner, { type: "claim_due" });
    await db.query("update public.jobs set run_after = now() + interval '1 hour' where id = $1", [later.job.id]);
    const late = await createJob(db, owner, { type: "claim_due", deadlineSeconds: 1 });
    await db.query("update public.jobs set deadline = now() - interval '1 second' where id = $1", [late.job.id]);
    assert.deepEqual(await claim(db, worker, 5, ["claim_due"]), []);
  });

  it("gives a draining worker nothing and refuses a revoked one", async () => {
    const owner = await createUser(db);
    const draining = await createWorker(db, ["claim_drain"]);
    await createJob(db, owner, { type: "claim_drain" });
    await db.query("update public.workers set draining = true where id = $1", [draining]);
    assert.deepEqual(await claim(db, draining, 5, ["claim_drain"]), []);
    const revoked = await createWorker(db, ["claim_drain"]);
    await db.query("update public.workers set revoked_at = now() where id = $1", [revoked]);
    await refused(claim(db, revoked, 5, ["claim_drain"]), "worker_unauthorized");
  });
});

describe("heartbeat", () => {
  it("extends the lease, records phase and progress, and logs phase changes only", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["hb"]);
    const { job: created } = await createJob(db, owner, { type: "hb" });
    const [c] = await claim(db, worker, 1, ["hb"], 5);
    const before = (await job(c.id)).lease_expires_at as Date;
    const beat = await call<{ cancel_requested: boolean }>("kiln.heartbeat($1, $2, $3, 'executing', $4, 60)", [
      c.id,
      worker,
      c.fencing_token,
      { value: 3, max: 20, percent: 15 },
    ]);
    assert.equal(beat.cancel_requested, false);
    await call("kiln.heartbeat($1, $2, $3, null, $4, 60)", [
      c.id,
      worker,
      c.fencing_token,
      { value: 4, max: 20, percent: 20 },
    ]);
    const row = await job(created.id);
    assert.ok((row.lease_expires_at as Date).getTime() > before.getTime());
    assert.equal(row.phase, "executing");
    assert.deepEqual(row.progress, { value: 4, max: 20, percent: 20 });
    assert.ok(row.started_at, "started_at is set when execution begins");
    assert.deepEqual(await eventTypes(db, created.id), ["job.queued", "job.started", "job.progress"]);
  });

  it("refuses a stale fencing token, another worker, and an unknown job", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["hb_stale"]);
    const other = await createWorker(db, ["hb_stale"]);
    await createJob(db, owner, { type: "hb_stale" });
    const [c] = await claim(db, worker, 1, ["hb_stale"]);
    await refused(call("kiln.heartbeat($1, $2, $3)", [c.id, worker, c.fencing_token - 1]), "lease_lost");
    await refused(call("kiln.heartbeat($1, $2, $3)", [c.id, other, c.fencing_token]), "lease_lost");
    await refused(
      call("kiln.heartbeat($1, $2, $3)", ["00000000-0000-0000-0000-000000000009", worker, c.fencing_token]),
      "not_found",
    );
  });
});

describe("complete and fail", () => {
  it("completes with outputs, keeps the charge, and refuses a second report", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["done"]);
    await createJob(db, owner, { type: "done", cost: 40 });
    const [c] = await claim(db, worker, 1, ["done"]);
    const outputs = [{ path: `${owner}/${c.id}/out_00001.png`, content_type: "image/png", size: 1234 }];
    const done = await call("kiln.complete_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, outputs]);
    assert.equal(done.status, "succeeded");
    assert.deepEqual(done.outputs, outputs);
    const row = await job(c.id);
    assert.ok(row.finished_at);
    assert.equal(row.lease_expires_at, null);
    assert.deepEqual(await balances(db, owner), { credits: 2960, ledger: 2960 });
    await refused(call("kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]), "lease_lost");
    await refused(call("kiln.fail_job($1, $2, $3, '{}')", [c.id, worker, c.fencing_token]), "lease_lost");
  });

  it("re-queues a retryable failure with backoff, then fails for good and refunds when attempts run out", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["oom"]);
    await setSetting(db, "retry_backoff", { base_seconds: 60, max_seconds: 600 });
    try {
      const { job: created } = await createJob(db, owner, { type: "oom", cost: 30, maxAttempts: 2 });
      const oom = { code: "out_of_memory", message: "CUDA out of memory", retryable: true, node: "3" };
      let [c] = await claim(db, worker, 1, ["oom"]);
      const first = await call("kiln.fail_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, oom]);
      assert.equal(first.status, "queued");
      const delay = (await job(created.id)).run_after.getTime() - Date.now();
      assert.ok(delay > 40_000 && delay < 80_000, `backoff of about 60 s ±25%, got ${delay} ms`);
      assert.deepEqual(await claim(db, worker, 1, ["oom"]), [], "not claimable during backoff");

      await db.query("update public.jobs set run_after = now() where id = $1", [created.id]);
      [c] = await claim(db, worker, 1, ["oom"]);
      assert.equal(c.attempts, 2);
      const last = await call("kiln.fail_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, oom]);
      assert.equal(last.status, "failed");
      assert.equal(last.error?.code, "out_of_memory");
      assert.deepEqual(await balances(db, owner), { credits: 3000, ledger: 3000 });
      assert.deepEqual(await eventTypes(db, created.id), [
        "job.queued",
        "job.started",
        "job.queued",
        "job.started",
        "job.failed",
      ]);
    } finally {
      await setSetting(db, "retry_backoff", { base_seconds: 0, max_seconds: 0 });
    }
  });

  it("fails a non-retryable error at once, keeps its details, and refunds", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["invalid"]);
    await createJob(db, owner, { type: "invalid", cost: 15 });
    const [c] = await claim(db, worker, 1, ["invalid"]);
    const error = {
      code: "comfyui_validation",
      message: "Prompt outputs failed validation",
      retryable: false,
      details: { node_errors: { "3": { errors: [{ type: "value_not_in_list" }] } } },
    };
    const failed = await call("kiln.fail_job($1, $2, $3, $4)", [c.id, worker, c.fencing_token, error]);
    assert.equal(failed.status, "failed");
    assert.deepEqual((failed.error as unknown as typeof error).details, error.details);
    assert.deepEqual(await balances(db, owner), { credits: 3000, ledger: 3000 });
  });

  it("does not retry past the deadline", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["deadline_retry"]);
    await setSetting(db, "retry_backoff", { base_seconds: 120, max_seconds: 120 });
    try {
      await createJob(db, owner, { type: "deadline_retry", deadlineSeconds: 30 });
      const [c] = await claim(db, worker, 1, ["deadline_retry"]);
      const r = await call("kiln.fail_job($1, $2, $3, $4)", [
        c.id,
        worker,
        c.fencing_token,
        { code: "x", message: "x", retryable: true },
      ]);
      assert.equal(r.status, "failed");
    } finally {
      await setSetting(db, "retry_backoff", { base_seconds: 0, max_seconds: 0 });
    }
  });
});

describe("cancel", () => {
  it("cancels a queued job at once and refunds it", async () => {
    const owner = await createUser(db);
    const { job: created } = await createJob(db, owner, { cost: 50 });
    const canceled = await call("kiln.cancel_job($1, $2)", [created.id, owner]);
    assert.equal(canceled.status, "canceled");
    assert.deepEqual(await balances(db, owner), { credits: 3000, ledger: 3000 });
    assert.deepEqual(await eventTypes(db, created.id), ["job.queued", "job.canceled"]);
  });

  it("asks the worker to stop a running job; its report makes it canceled and refunded", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["cancel_run"]);
    const { job: created } = await createJob(db, owner, { type: "cancel_run", cost: 50 });
    const [c] = await claim(db, worker, 1, ["cancel_run"]);
    const requested = await call("kiln.cancel_job($1, $2)", [created.id, owner]);
    assert.equal(requested.status, "running");
    assert.equal(requested.cancel_requested, true);
    await call("kiln.cancel_job($1, $2)", [created.id, owner]);
    const beat = await call<{ cancel_requested: boolean }>("kiln.heartbeat($1, $2, $3)", [
      c.id,
      worker,
      c.fencing_token,
    ]);
    assert.equal(beat.cancel_requested, true);
    const done = await call("kiln.report_canceled($1, $2, $3)", [c.id, worker, c.fencing_token]);
    assert.equal(done.status, "canceled");
    assert.deepEqual(await balances(db, owner), { credits: 3000, ledger: 3000 });
    assert.deepEqual(await eventTypes(db, created.id), [
      "job.queued",
      "job.started",
      "job.cancel_requested",
      "job.canceled",
    ]);
  });

  it("ends a cancel-requested job canceled when its worker reports a failure instead", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["cancel_fail"]);
    const { job: created } = await createJob(db, owner, { type: "cancel_fail" });
    const [c] = await claim(db, worker, 1, ["cancel_fail"]);
    await call("kiln.cancel_job($1, $2)", [created.id, owner]);
    const r = await call("kiln.fail_job($1, $2, $3, $4)", [
      c.id,
      worker,
      c.fencing_token,
      { code: "interrupted", message: "x", retryable: true },
    ]);
    assert.equal(r.status, "canceled");
  });

  it("refuses to report canceled without a cancel request", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["cancel_none"]);
    await createJob(db, owner, { type: "cancel_none" });
    const [c] = await claim(db, worker, 1, ["cancel_none"]);
    await refused(call("kiln.report_canceled($1, $2, $3)", [c.id, worker, c.fencing_token]), "invalid_state");
  });

  it("refuses to cancel a finished job, and another owner's job as if it did not exist", async () => {
    const owner = await createUser(db);
    const stranger = await createUser(db);
    const { job: created } = await createJob(db, owner);
    await refused(call("kiln.cancel_job($1, $2)", [created.id, stranger]), "not_found");
    await call("kiln.cancel_job($1, $2)", [created.id, owner]);
    const error = await refused(call("kiln.cancel_job($1, $2)", [created.id, owner]), "invalid_state");
    assert.equal(error.details?.status, "canceled");
  });
});

describe("sweeps", () => {
  it("re-queues a job whose lease lapsed, and refuses the silent worker's late report", async () => {
    const owner = await createUser(db);
    const silent = await createWorker(db, ["reap"]);
    const rescuer = await createWorker(db, ["reap"]);
    const { job: created } = await createJob(db, owner, { type: "reap" });
    const [c] = await claim(db, silent, 1, ["reap"]);
    await db.query("update public.jobs set lease_expires_at = now() - interval '1 second' where id = $1", [c.id]);
    const reaped = await db.query("select * from kiln.reap_expired_leases() where job_id = $1", [created.id]);
    assert.deepEqual(reaped, [{ job_id: created.id, status: "queued" }]);
    const [again] = await claim(db, rescuer, 1, ["reap"]);
    assert.equal(again.id, created.id);
    assert.ok(again.fencing_token > c.fencing_token);
    await refused(call("kiln.complete_job($1, $2, $3, '[]')", [c.id, silent, c.fencing_token]), "lease_lost");
    const done = await call("kiln.complete_job($1, $2, $3, '[]')", [again.id, rescuer, again.fencing_token]);
    assert.equal(done.status, "succeeded");
    const [requeued] = await db.query<{ data: { reason: string } }>(
      "select data from public.job_events where job_id = $1 and type = 'job.queued' order by seq desc limit 1",
      [created.id],
    );
    assert.equal(requeued.data.reason, "lease_expired");
  });

  it("fails and refunds a lapsed job with no attempt left, and cancels one with a pending cancel", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["reap_final"]);
    const { job: last } = await createJob(db, owner, { type: "reap_final", maxAttempts: 1, cost: 20 });
    const { job: canceling } = await createJob(db, owner, { type: "reap_final", cost: 20 });
    await claim(db, worker, 2, ["reap_final"]);
    await call("kiln.cancel_job($1, $2)", [canceling.id, owner]);
    await db.query("update public.jobs set lease_expires_at = now() - interval '1 second' where owner_id = $1", [
      owner,
    ]);
    const reaped = await db.query<{ job_id: string; status: string }>(
      "select r.* from kiln.reap_expired_leases() r join public.jobs j on j.id = r.job_id where j.owner_id = $1",
      [owner],
    );
    const outcome = Object.fromEntries(reaped.map((r) => [r.job_id, r.status]));
    assert.deepEqual(outcome, { [last.id]: "failed", [canceling.id]: "canceled" });
    assert.equal((await job(last.id)).error?.code, "lease_expired");
    assert.deepEqual(await balances(db, owner), { credits: 3000, ledger: 3000 });
  });

  it("fails queued and running jobs past their deadline with deadline_exceeded, refunded", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["deadline"]);
    const { job: running } = await createJob(db, owner, { type: "deadline", deadlineSeconds: 60, cost: 10 });
    await claim(db, worker, 1, ["deadline"]);
    const { job: queued } = await createJob(db, owner, { type: "deadline", deadlineSeconds: 60, cost: 10 });
    await db.query("update public.jobs set deadline = now() - interval '1 second' where owner_id = $1", [owner]);
    const expired = await db.query<{ job_id: string; previous_status: string }>(
      "select e.* from kiln.expire_deadlines() e join public.jobs j on j.id = e.job_id where j.owner_id = $1",
      [owner],
    );
    assert.deepEqual(Object.fromEntries(expired.map((r) => [r.job_id, r.previous_status])), {
      [running.id]: "running",
      [queued.id]: "queued",
    });
    for (const id of [running.id, queued.id]) {
      const row = await job(id);
      assert.equal(row.status, "failed");
      assert.equal(row.error?.code, "deadline_exceeded");
    }
    assert.deepEqual(await balances(db, owner), { credits: 3000, ledger: 3000 });
  });
});

describe("queue position", () => {
  it("counts the claimable jobs of the same type ahead, and the online workers that can run it", async () => {
    const owner = await createUser(db);
    await createWorker(db, ["position"]);
    const stale = await createWorker(db, ["position"]);
    await db.query("update public.workers set last_seen_at = now() - interval '1 hour' where id = $1", [stale]);
    const first = await createJob(db, owner, { type: "position" });
    const second = await createJob(db, owner, { type: "position" });
    const urgent = await createJob(db, owner, { type: "position", priority: 10 });
    const pos = async (id: string) =>
      call<{ position: number; workers_online: number }>("kiln.queue_position($1)", [id]);
    assert.equal((await pos(urgent.job.id)).position, 1);
    assert.equal((await pos(first.job.id)).position, 2);
    assert.equal((await pos(second.job.id)).position, 3);
    assert.equal((await pos(second.job.id)).workers_online, 1);
  });
});

describe("notifications", () => {
  it("broadcasts each change to the owner's private topic and wakes workers on the public queue topic", async () => {
    const owner = await createUser(db);
    const { job: created } = await createJob(db, owner, { type: "notify" });
    const messages = await db.query<{
      topic: string;
      event: string;
      private: boolean;
      payload: Record<string, unknown>;
    }>(
      "select topic, event, private, payload from realtime.messages where payload->'job'->>'id' = $1 or (topic = 'kiln:queue' and payload->>'type' = 'notify')",
      [created.id],
    );
    const userTopic = messages.find((m) => m.topic === `user:${owner}`);
    assert.ok(userTopic, "owner topic got the job");
    assert.equal(userTopic.private, true);
    assert.equal(userTopic.event, "job.queued");
    const wake = messages.find((m) => m.topic === "kiln:queue");
    assert.ok(wake, "queue topic got a wake-up");
    assert.equal(wake.private, false);
    assert.deepEqual(wake.payload, { type: "notify", priority: 0 }, "the wake-up carries no user data");
  });

  it("writes one outbox row per matching endpoint and per-job webhook, and coalesces unsent progress", async () => {
    const owner = await createUser(db);
    const worker = await createWorker(db, ["outbox"]);
    const endpoint = async (events: string[]) =>
      (
        await db.query<{ id: string }>(
          "insert into public.webhook_endpoints (owner_id, url, secret, events) values ($1, 'https://hooks.example.test/k', 'whsec_x', $2) returning id",
          [owner, events],
        )
      )[0].id;
    const all = await endpoint(["*"]);
    const finals = await endpoint(["job.succeeded", "job.failed"]);
    await endpoint(["job.canceled"]);
    const { job: created } = await createJob(db, owner, {
      type: "outbox",
      webhookUrl: "https://example.test/job-hook",
    });
    const [c] = await claim(db, worker, 1, ["outbox"]);
    for (const value of [1, 2, 3]) {
      await call("kiln.heartbeat($1, $2, $3, 'executing', $4)", [c.id, worker, c.fencing_token, { value, max: 3 }]);
    }
    await call("kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]);
    const rows = await db.query<{
      endpoint_id: string | null;
      event_type: string;
      payload: { id: string; data: { progress: { value: number } } };
    }>(
      "select endpoint_id, event_type, payload from public.webhook_deliveries where job_id = $1 order by created_at, event_type",
      [created.id],
    );
    const summary = (target: string | null) => rows.filter((r) => r.endpoint_id === target).map((r) => r.event_type);
    assert.deepEqual(summary(all), ["job.queued", "job.started", "job.progress", "job.succeeded"]);
    assert.deepEqual(summary(finals), ["job.succeeded"]);
    assert.deepEqual(summary(null), ["job.queued", "job.started", "job.progress", "job.succeeded"]);
    const progress = rows.filter((r) => r.event_type === "job.progress");
    assert.ok(
      progress.every((r) => r.payload.data.progress.value === 3),
      "coalesced to the latest tick",
    );
  });
});
