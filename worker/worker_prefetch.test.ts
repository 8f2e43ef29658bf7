/**
 * Claiming ahead: while a slot's job runs, the worker claims the slot's next job and queues its prompt in ComfyUI
 * behind it (phase waiting_for_gpu), so the GPU starts it the moment the current one ends, before that one is even
 * uploaded and reported. A job claimed ahead keeps its lease by heartbeats, leaves ComfyUI's queue when its lease is
 * lost, and goes back to the queue at once when the worker shuts down.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ComfyuiSim } from "../scripts/comfyui_sim/sim.ts";
import type { JobMark } from "./run_job.ts";
import { final, startWorkerStack, type WorkerStack, waitUntil } from "./testing/worker_stack.ts";

let stack: WorkerStack;
before(async () => {
  stack = await startWorkerStack();
});
after(() => stack.close());

const job = (prompt: string, steps: number) => ({ type: "txt2img", params: { prompt, width: 64, height: 64, steps } });
const waitingForGpu = (j: { status: string; phase: string | null }) =>
  j.status === "running" && j.phase === "waiting_for_gpu";

/** ComfyUI's pending prompts on `sim`. */
async function pending(sim: ComfyuiSim): Promise<unknown[][]> {
  const queue = (await (await fetch(`${sim.url}/queue`)).json()) as { queue_pending: unknown[][] };
  return queue.queue_pending;
}

/** Resolves once `sim`'s queue holds no pending prompt; fails after `timeoutMs`. */
async function queueEmpties(sim: ComfyuiSim, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await pending(sim)).length > 0) {
    assert.ok(Date.now() < deadline, "a prompt stayed in ComfyUI's queue");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("claiming ahead", { timeout: 40_000 }, () => {
  test("the next job waits in ComfyUI behind the current one and starts before that one is reported", async () => {
    const sim = await stack.sim({ stepMs: 50 });
    const marks = new Map<string, number>();
    const w = await stack.startWorker([sim], {
      onJobMark: (id: string, mark: JobMark, at: number) => void marks.set(`${id} ${mark}`, at),
    });
    // Long enough for a heartbeat (at most one each 500 ms) to report the second job waiting.
    const first = await stack.createJob(job("first", 40));
    await stack.waitFor(first, (j) => j.phase === "executing");
    const second = await stack.createJob(job("second", 3));
    const waiting = await stack.waitFor(second, waitingForGpu);
    assert.equal(waiting.started_at, null, "not started: its wait goes on until ComfyUI starts it");
    assert.equal((await pending(sim)).length, 1, "its prompt is queued in ComfyUI");

    const [a, b] = [await stack.waitFor(first, final), await stack.waitFor(second, final)];
    assert.deepEqual([a.status, b.status], ["succeeded", "succeeded"]);
    assert.ok(b.started_at && a.started_at && b.started_at > a.started_at);
    const [run1, run2] = sim.runs.slice(-2);
    const reported = marks.get(`${first} reported`) ?? Number.POSITIVE_INFINITY;
    assert.ok(run2.startedAt < reported, "the GPU took the next job before the first was reported");
    assert.ok(run2.startedAt >= run1.endedAt);
    await w.worker.stop();
  });

  test("a job claimed ahead keeps its lease, and leaves ComfyUI's queue when the lease is lost", async () => {
    await stack.setting("lease_seconds", 2);
    try {
      const sim = await stack.sim({ stepMs: 50 });
      const w = await stack.startWorker([sim]);
      const long = await stack.createJob(job("long [sim:stall]", 10));
      await stack.waitFor(long, (j) => j.phase === "executing");
      const ahead = await stack.createJob(job("ahead", 2));
      await stack.waitFor(ahead, waitingForGpu);
      // Past two lease lengths it is still held: heartbeats carry it like the running job.
      const [{ token }] = await stack.h.sql<{ token: string }[]>`
        select fencing_token::text as token from public.jobs where id = ${ahead}`;
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const [held] = await stack.h.sql<{ status: string; token: string }[]>`
        select status, fencing_token::text as token from public.jobs where id = ${ahead}`;
      assert.deepEqual(held, { status: "running", token });

      // Taken from it (as the reaper does when a lease lapses): the worker drops it and ComfyUI's queue empties.
      await stack.h.sql`
        update public.jobs set status = 'queued', phase = null, lease_expires_at = null, fencing_token = null,
               worker_id = null, run_after = 'infinity' where id = ${ahead}`;
      await waitUntil(() => w.worker.ended.get(ahead) === "dropped", "the job dropped", 5000);
      await queueEmpties(sim);
      await stack.h.call("POST", `/v1/jobs/${long}/cancel`, { auth: stack.user.token });
      assert.equal((await stack.waitFor(long, final)).status, "canceled");
      await w.worker.stop();
    } finally {
      await stack.setting("lease_seconds", 30);
    }
  });

  test("shutdown hands a job waiting for the GPU back at once, and lets the running one finish", async () => {
    const sim = await stack.sim({ stepMs: 50 });
    const w = await stack.startWorker([sim], { graceMs: 20_000 });
    const running = await stack.createJob(job("running", 30));
    await stack.waitFor(running, (j) => j.phase === "executing");
    const ahead = await stack.createJob(job("ahead", 2));
    await stack.waitFor(ahead, waitingForGpu);
    const stopped = w.worker.stop();
    const back = await stack.waitFor(ahead, (j) => j.status === "queued", 3000);
    assert.equal(back.attempts, 0, "handed back without spending an attempt");
    assert.equal((await stack.job(running)).status, "running", "back before the running job ended");
    await queueEmpties(sim);
    await stopped;
    assert.equal((await stack.job(running)).status, "succeeded");
    assert.equal(w.worker.ended.get(ahead), "handed_back");
    await stack.h.sql`update public.jobs set run_after = 'infinity' where id = ${ahead}`;
  });
});
