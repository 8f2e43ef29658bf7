/**
 * What a worker's end leaves behind. Killed mid-job (no report, no deregister): the lease lapses, the reaper
 * requeues the job, a second worker finishes it, and the first one's late report is refused (lease_lost).
 * Stopped (SIGTERM): it claims nothing more, lets a running job finish, and deregisters; when the grace period
 * runs out first, it interrupts the prompt and hands the job back as a retryable `worker_shutdown`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ProtocolClient, ProtocolError } from "./protocol_client.ts";
import {
  executing,
  final,
  startWorkerStack,
  type TestWorker,
  type WorkerStack,
  waitUntil,
} from "./testing/worker_stack.ts";

let stack: WorkerStack;

before(async () => {
  stack = await startWorkerStack();
  // A 2 s lease: a dead worker's job comes back quickly.
  await stack.setting("lease_seconds", 2);
});
after(() => stack.close());

const draining = async (w: TestWorker) =>
  (
    await stack.h.sql<{ draining: boolean }[]>`
    select draining from public.workers where id = ${w.worker.registration?.worker_id ?? null}`
  )[0]?.draining;

describe("a worker's end", { timeout: 40_000 }, () => {
  let second: TestWorker;

  test("killed mid-job: the lease lapses, a second worker finishes the job, the first one's late report is refused", async () => {
    const first = await stack.startWorker([await stack.sim({ stepMs: 50 })]);
    const id = await stack.createJob({
      type: "txt2img",
      params: { prompt: "a kiln", width: 64, height: 64, steps: 40 },
    });
    await waitUntil(() => executing(first.lines, id), "the job executing");
    const [held] = await stack.h.sql<{ fencing_token: string }[]>`
      select fencing_token::text from public.jobs where id = ${id}`;
    await first.worker.kill();
    second = await stack.startWorker([await stack.sim({ stepMs: 5 })]);

    const deadline = Date.now() + 8000;
    for (;;) {
      const reaped = await stack.h.sql<{ job_id: string }[]>`select job_id from kiln.reap_expired_leases()`;
      if (reaped.some((r) => r.job_id === id)) break;
      assert.ok(Date.now() < deadline, "the lease did not lapse");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(job.attempts, 2);
    assert.equal(second.worker.ended.get(id), "succeeded");
    assert.equal(first.worker.ended.get(id), "killed");

    const late = new ProtocolClient({ kilnUrl: first.config.kilnUrl, token: first.token });
    const refusal = await late
      .complete(id, { fencing_token: held.fencing_token, outputs: [] })
      .catch((e: unknown) => e);
    assert.ok(refusal instanceof ProtocolError, String(refusal));
    assert.equal(refusal.code, "lease_lost");
    assert.equal(refusal.status, 409);
    assert.equal((await stack.job(id)).status, "succeeded");
  });

  test("stop(): no more claims, the running job finishes, the worker deregisters", async () => {
    const id = await stack.createJob({
      type: "txt2img",
      params: { prompt: "slow", width: 64, height: 64, steps: 150 },
    });
    await waitUntil(() => executing(second.lines, id), "the job executing");
    const stopped = second.worker.stop();
    const later = await stack.createJob({ type: "txt2img", params: { prompt: "too late", width: 64, height: 64 } });
    await stopped;
    const job = await stack.job(id);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(await draining(second), true);
    assert.equal((await stack.job(later)).status, "queued");
    await stack.h.call("POST", `/v1/jobs/${later}/cancel`, { auth: stack.user.token });
  });

  test("stop() with a prompt that outlasts the grace period: interrupted and handed back, the attempt not counted", async () => {
    const sim = await stack.sim();
    const w = await stack.startWorker([sim], { graceMs: 300 });
    const id = await stack.createJob({
      type: "txt2img",
      params: { prompt: "forever [sim:stall]", width: 64, height: 64 },
    });
    // The job's last attempt: a hand-back used to fail it for good.
    await stack.h.sql`update public.jobs set max_attempts = 1 where id = ${id}`;
    await stack.waitFor(id, (j) => j.status === "running" && j.phase === "executing");
    await w.worker.stop();
    assert.equal(w.worker.ended.get(id), "handed_back");
    assert.equal(sim.interrupts.length, 1, "the prompt was interrupted");
    const [event] = await stack.h.sql<{ data: { error: { code: string; retryable: boolean } } }[]>`
      select data from public.job_events where job_id = ${id} and type = 'job.queued' and data->>'reason' = 'handed_back'`;
    assert.equal(event?.data.error.code, "worker_shutdown");
    assert.equal(event?.data.error.retryable, true);
    assert.equal((await stack.job(id)).status, "queued");
    const [row] = await stack.h.sql<{ attempts: number; run_after: Date }[]>`
      select attempts, run_after from public.jobs where id = ${id}`;
    assert.equal(row.attempts, 0, "the handed-back attempt is not counted");
    assert.ok(row.run_after.getTime() <= Date.now() + 1000, "queued again at once");
    assert.equal(await draining(w), true);
    await stack.h.call("POST", `/v1/jobs/${id}/cancel`, { auth: stack.user.token });
  });
});
