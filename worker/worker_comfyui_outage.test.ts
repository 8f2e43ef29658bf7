/**
 * ComfyUI going away: while it is down the worker says so, claims nothing for that slot and reconnects with
 * backoff; a job it was running when ComfyUI died fails retryable and runs again once ComfyUI is back; a job
 * created during the outage waits in the queue and runs after the reconnect.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { executing, final, startWorkerStack, type WorkerStack, waitUntil } from "./testing/worker_stack.ts";

let stack: WorkerStack;

before(async () => {
  stack = await startWorkerStack();
});
after(() => stack.close());

test("ComfyUI restarts mid-job: the job is retried after the reconnect; a job created meanwhile waits", {
  timeout: 30_000,
}, async () => {
  const sim = await stack.sim({ stepMs: 50 });
  const w = await stack.startWorker([sim]);
  const first = await stack.createJob({
    type: "txt2img",
    params: { prompt: "a kiln", width: 64, height: 64, steps: 40 },
  });
  await waitUntil(() => executing(w.lines, first), "the first job executing");
  await sim.close();
  await stack.waitFor(first, (j) => j.status === "queued" || final(j));
  const second = await stack.createJob({
    type: "txt2img",
    params: { prompt: "meanwhile", width: 64, height: 64, steps: 2 },
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await stack.job(second)).status, "queued", "nothing is claimed while ComfyUI is down");
  assert.ok(
    w.lines.some((l) => /comfyui \S+ (connection lost|unhealthy)/.test(l)),
    w.lines.join("\n"),
  );

  const again = await stack.sim({ port: sim.port, stepMs: 5 });
  for (const id of [first, second]) {
    const job = await stack.waitFor(id, final, 15_000);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
  }
  const retried = await stack.job(first);
  assert.equal(retried.attempts, 2);
  assert.ok(again.prompts >= 2);
  assert.ok(
    w.lines.some((l) => /comfyui \S+ reconnected/.test(l)),
    w.lines.join("\n"),
  );
});
