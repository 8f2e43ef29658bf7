/**
 * What a worker says about the jobs it holds: heartbeats (several jobs per call, a lost one answered apart),
 * cancel requests passed on, signed upload URLs under `<owner>/<job>/`, and the reports that end an attempt
 * (complete, fail retryable or not, canceled), each seen through the API as the job's owner sees it. A report
 * from a worker whose lease was taken over is 409 lease_lost.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ClaimedJob } from "../../../shared/worker_protocol.ts";
import type { TestUser } from "../api/testing/api_harness.ts";
import { assertError } from "../api/testing/auth_refusals.ts";
import { TINY_PNG } from "../api/testing/job_fixtures.ts";
import { startWorkerHarness, type TestWorker, type WorkerHarness } from "./testing/worker_harness.ts";

let h: WorkerHarness;
before(async () => {
  h = await startWorkerHarness();
});
after(() => h.close());

const post = async (worker: TestWorker, path: string, body: unknown) => {
  const response = await h.wcall("POST", path, worker, { body });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
};

const credits = async (user: TestUser) =>
  Number((await h.sql`select credits from public.profiles where id = ${user.id}`)[0].credits);

/** Uploads TINY_PNG as `name` through the uploads call; returns its path. */
async function uploadOutput(worker: TestWorker, job: ClaimedJob, name: string): Promise<string> {
  const files = [{ name, content_type: "image/png" }];
  const signed = await post(worker, `/v1/jobs/${job.id}/uploads`, { fencing_token: job.fencing_token, files });
  assert.equal(signed.status, 200, signed.text);
  const put = await fetch(signed.body.uploads[0].signed_url, {
    method: "PUT",
    headers: { "content-type": "image/png" },
    body: TINY_PNG,
  });
  assert.equal(put.status, 200, await put.text());
  return signed.body.uploads[0].path;
}

describe("POST /v1/heartbeat", () => {
  it("extends held jobs and records progress; a stale token or unknown job is answered apart", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const [a, b] = [await h.claimNew(user, worker), await h.claimNew(user, worker)];
    const unknown = "00000000-0000-4000-8000-000000000009";
    const progress = { value: 3, max: 20, node: "3", percent: 15, eta_ms: 4000 };
    const stale = String(BigInt(b.fencing_token) + 1000n);
    const response = await post(worker, "/v1/heartbeat", {
      jobs: [
        { id: a.id, fencing_token: a.fencing_token, phase: "executing", progress },
        { id: b.id, fencing_token: stale },
        { id: unknown, fencing_token: "1" },
      ],
    });
    assert.equal(response.status, 200, response.text);
    const [held, lost, missing] = response.body.jobs;
    assert.deepEqual([held.id, held.held, held.cancel_requested], [a.id, true, false]);
    assert.ok(Date.parse(held.lease_expires_at) > Date.parse(a.lease_expires_at));
    assert.deepEqual([lost.id, lost.held, lost.code], [b.id, false, "lease_lost"]);
    assert.deepEqual([missing.held, missing.code], [false, "not_found"]);
    const view = await (await h.call("GET", `/v1/jobs/${a.id}`, { auth: user.token })).json();
    assert.deepEqual([view.phase, view.progress], ["executing", progress]);
  });

  it("passes on the owner's cancel; the worker's canceled report ends the job and refunds it", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const before = await credits(user);
    const job = await h.claimNew(user, worker);
    const early = await post(worker, `/v1/jobs/${job.id}/canceled`, { fencing_token: job.fencing_token });
    assert.deepEqual([early.status, early.body.error.code], [409, "invalid_state"], "no cancel was requested yet");
    const cancel = await h.call("POST", `/v1/jobs/${job.id}/cancel`, { auth: user.token });
    assert.equal(cancel.status, 200, await cancel.text());
    const beat = await post(worker, "/v1/heartbeat", { jobs: [{ id: job.id, fencing_token: job.fencing_token }] });
    assert.equal(beat.body.jobs[0].cancel_requested, true, beat.text);
    const canceled = await post(worker, `/v1/jobs/${job.id}/canceled`, { fencing_token: job.fencing_token });
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal(canceled.body.job.status, "canceled");
    assert.equal(await credits(user), before);
  });
});

describe("POST /v1/jobs/:id/uploads and /complete", () => {
  it("signs uploads under <owner>/<job>/, and completes with the uploaded outputs", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const job = await h.claimNew(user, worker);
    const path = await uploadOutput(worker, job, "out_00001_.png");
    assert.equal(path, `${user.id}/${job.id}/out_00001_.png`);
    // A retried attempt writes the same names again: the URL may replace the file.
    assert.equal(await uploadOutput(worker, job, "out_00001_.png"), path);
    const output = {
      path,
      content_type: "image/png",
      size: TINY_PNG.length,
      sha256: "a".repeat(64),
      width: 1,
      height: 1,
    };
    const token = job.fencing_token;
    const elsewhere = await post(worker, `/v1/jobs/${job.id}/complete`, {
      fencing_token: token,
      outputs: [output, { ...output, path: `${user.id}/other-job/out.png` }],
    });
    assert.equal(elsewhere.status, 422, elsewhere.text);
    assert.match(elsewhere.body.error.details["outputs.1.path"], /^must be .*\/<name>$/);
    const missing = await post(worker, `/v1/jobs/${job.id}/complete`, {
      fencing_token: token,
      outputs: [{ ...output, path: `${user.id}/${job.id}/never.png` }],
    });
    assert.equal(missing.body.error.details["outputs.0.path"], "no file was uploaded there", missing.text);
    const done = await post(worker, `/v1/jobs/${job.id}/complete`, { fencing_token: token, outputs: [output] });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.job.status, "succeeded");
    const view = await (await h.call("GET", `/v1/jobs/${job.id}`, { auth: user.token })).json();
    assert.equal(view.status, "succeeded");
    assert.equal(view.outputs[0].path, path);
    assert.equal(view.outputs[0].sha256, "a".repeat(64));
  });
});

describe("POST /v1/jobs/complete", () => {
  it("completes several jobs in one call, each judged as the one-job call judges it and answered apart", async () => {
    const [user, worker, other] = [await h.user(), await h.registeredWorker(), await h.registeredWorker()];
    const [done, misplaced, stale, notMine] = [
      await h.claimNew(user, worker),
      await h.claimNew(user, worker),
      await h.claimNew(user, worker),
      await h.claimNew(user, other),
    ];
    const output = (path: string) => ({
      path,
      content_type: "image/png",
      size: TINY_PNG.length,
      sha256: "b".repeat(64),
    });
    const path = await uploadOutput(worker, done, "out_00001_.png");
    const response = await post(worker, "/v1/jobs/complete", {
      jobs: [
        { id: done.id, fencing_token: done.fencing_token, outputs: [output(path)] },
        { id: misplaced.id, fencing_token: misplaced.fencing_token, outputs: [output(path)] },
        { id: stale.id, fencing_token: String(BigInt(stale.fencing_token) + 1000n), outputs: [] },
        { id: notMine.id, fencing_token: notMine.fencing_token, outputs: [output(`${user.id}/${notMine.id}/x.png`)] },
      ],
    });
    assert.equal(response.status, 200, response.text);
    const [a, b, c, d] = response.body.jobs;
    assert.deepEqual([a.id, a.completed, a.job.status], [done.id, true, "succeeded"]);
    assert.deepEqual([b.id, b.completed, b.code], [misplaced.id, false, "validation_failed"]);
    assert.match(b.details["outputs.0.path"], /^must be .*\/<name>$/);
    assert.deepEqual([c.id, c.completed, c.code], [stale.id, false, "lease_lost"]);
    assert.deepEqual([d.id, d.completed, d.code], [notMine.id, false, "lease_lost"]);
    const status = async (id: string) =>
      (await (await h.call("GET", `/v1/jobs/${id}`, { auth: user.token })).json()).status;
    assert.deepEqual(
      [await status(done.id), await status(misplaced.id), await status(stale.id), await status(notMine.id)],
      ["succeeded", "running", "running", "running"],
    );
    const view = await (await h.call("GET", `/v1/jobs/${done.id}`, { auth: user.token })).json();
    assert.equal(view.outputs[0].path, path);
  });

  it("refuses a call that reports one job twice, or none", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const job = await h.claimNew(user, worker);
    const twice = { id: job.id, fencing_token: job.fencing_token, outputs: [] };
    const again = await post(worker, "/v1/jobs/complete", { jobs: [twice, twice] });
    assert.deepEqual([again.status, again.body.error.code], [422, "validation_failed"], again.text);
    const none = await post(worker, "/v1/jobs/complete", { jobs: [] });
    assert.deepEqual([none.status, none.body.error.code], [422, "validation_failed"], none.text);
    const view = await (await h.call("GET", `/v1/jobs/${job.id}`, { auth: user.token })).json();
    assert.equal(view.status, "running");
  });
});

describe("POST /v1/jobs/:id/fail", () => {
  it("queues a retryable failure again after a backoff", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const job = await h.claimNew(user, worker);
    const error = { code: "out_of_memory", message: "CUDA out of memory", retryable: true, node: "3" };
    const failed = await post(worker, `/v1/jobs/${job.id}/fail`, { fencing_token: job.fencing_token, error });
    assert.equal(failed.status, 200, failed.text);
    assert.deepEqual([failed.body.job.status, failed.body.job.attempts], ["queued", 1]);
    assert.ok(Date.parse(failed.body.job.run_after) > Date.now() + 1000, "retried after a backoff");
    const view = await (await h.call("GET", `/v1/jobs/${job.id}`, { auth: user.token })).json();
    assert.deepEqual([view.status, view.error.code, view.error.node], ["queued", "out_of_memory", "3"]);
  });

  it("fails a non-retryable failure for good and refunds it", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const before = await credits(user);
    const job = await h.claimNew(user, worker);
    assert.ok((await credits(user)) < before, "the job was charged");
    const error = { code: "invalid_prompt", message: "unknown node", retryable: false, details: { node_errors: {} } };
    const failed = await post(worker, `/v1/jobs/${job.id}/fail`, { fencing_token: job.fencing_token, error });
    assert.equal(failed.body.job.status, "failed", failed.text);
    assert.equal(failed.body.job.error.code, "invalid_prompt");
    assert.equal(await credits(user), before);
  });
});

describe("a worker whose lease was taken over", () => {
  it("is refused with 409 lease_lost on every report", async () => {
    const [user, first, second] = [await h.user(), await h.registeredWorker(), await h.registeredWorker()];
    const job = await h.claimNew(user, first);
    await h.sql`update public.jobs set lease_expires_at = now() - interval '1 second' where id = ${job.id}`;
    await h.sql`select kiln.reap_expired_leases()`;
    await h.sql`update public.jobs set run_after = now() where id = ${job.id}`;
    const retaken = await post(second, "/v1/claim", { n: 1 });
    assert.equal(retaken.body.jobs[0]?.id, job.id, retaken.text);
    const token = job.fencing_token;
    const reports: [string, unknown][] = [
      ["uploads", { fencing_token: token, files: [{ name: "out.png", content_type: "image/png" }] }],
      ["complete", { fencing_token: token, outputs: [] }],
      ["fail", { fencing_token: token, error: { code: "late", message: "late", retryable: true } }],
      ["canceled", { fencing_token: token }],
    ];
    for (const [report, body] of reports) {
      const response = await h.wcall("POST", `/v1/jobs/${job.id}/${report}`, first, { body });
      await assertError(response, 409, "lease_lost", report);
    }
    const status = (await h.sql`select status, worker_id from public.jobs where id = ${job.id}`)[0];
    assert.deepEqual([status.status, status.worker_id], ["running", second.id]);
  });
});
