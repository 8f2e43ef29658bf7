/**
 * Two workers, each with two ComfyUI slots, against 100 jobs created through the api at once: every job
 * succeeds exactly once (one job.started and one job.succeeded event each, one attempt, one output), both
 * workers take a share, and neither ever holds more than two jobs per slot (one on the GPU, one claimed ahead).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startWorkerStack, type TestWorker, type WorkerStack } from "./testing/worker_stack.ts";

let stack: WorkerStack;
const JOBS = 100;

before(async () => {
  stack = await startWorkerStack();
  await stack.setting("max_active_jobs", 1000);
});
after(() => stack.close());

test(`2 workers × 2 slots, ${JOBS} jobs: each succeeds exactly once`, { timeout: 40_000 }, async () => {
  const workers: TestWorker[] = [];
  for (let i = 0; i < 2; i++) {
    workers.push(await stack.startWorker([await stack.sim({ stepMs: 0 }), await stack.sim({ stepMs: 0 })]));
  }
  let busiest = 0;
  const sampler = setInterval(() => {
    for (const w of workers) busiest = Math.max(busiest, w.worker.running.length);
  }, 5);
  // Job creation is rate limited per caller (60/min by default): two users share the load.
  const users = [stack.user, await stack.h.user({ credits: 1_000_000 })];
  const ids = await Promise.all(
    Array.from({ length: JOBS }, (_, i) =>
      stack.createJob(
        { type: "txt2img", params: { prompt: `job ${i}`, width: 64, height: 64, steps: 2, seed: i } },
        users[i % 2],
      ),
    ),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [{ open }] = await stack.h.sql<{ open: number }[]>`
      select count(*)::int as open from public.jobs where id = any(${ids}::uuid[]) and status in ('queued', 'running')`;
    if (open === 0) break;
    assert.ok(Date.now() < deadline, `${open} jobs still open`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  clearInterval(sampler);

  const rows = await stack.h.sql<
    { status: string; attempts: number; outputs: number; started: number; succeeded: number; failed: number }[]
  >`
    select j.status, j.attempts, jsonb_array_length(coalesce(j.outputs, '[]')) as outputs,
           count(*) filter (where e.type = 'job.started')::int as started,
           count(*) filter (where e.type = 'job.succeeded')::int as succeeded,
           count(*) filter (where e.type in ('job.failed', 'job.canceled'))::int as failed
      from public.jobs j join public.job_events e on e.job_id = j.id
     where j.id = any(${ids}::uuid[])
     group by j.id`;
  assert.equal(rows.length, JOBS);
  for (const row of rows) {
    assert.deepEqual(row, { status: "succeeded", attempts: 1, outputs: 1, started: 1, succeeded: 1, failed: 0 });
  }
  const shares = workers.map((w) => [...w.worker.ended.values()].filter((e) => e === "succeeded").length);
  assert.equal(shares[0] + shares[1], JOBS, `shares ${shares}`);
  assert.ok(
    shares.every((n) => n > 0),
    `both workers took a share: ${shares}`,
  );
  assert.ok(busiest <= 4, `at most 2 jobs per slot (one on the GPU, one claimed ahead), saw ${busiest}`);
});
