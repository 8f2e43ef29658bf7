/**
 * Section `models`: model reloads on a mixed workload. 300 txt2img jobs whose checkpoints take turns (a, b, c, a, …)
 * are queued at once and drained by 4 workers, one ComfyUI simulator each, that charge `loadMs` whenever a prompt
 * uses another checkpoint than the one before (a real GPU takes seconds). Once in claim order (FIFO:
 * `model_affinity_wait_seconds` 0), once with workers preferring the checkpoint they have loaded (the default
 * setting), in the same run: loads counted by the simulators, jobs/s from the create to the last report, and the
 * p99 wait (created → claimed) from the jobs.
 */
import { Txt2ImgParams } from "../../shared/job_types/txt2img.ts";
import { setSetting } from "../../supabase/tests/helpers/fixtures.ts";
import type { BenchContext, BenchRow, BenchSection } from "./report.ts";
import { formatMs, formatRate, percentile, perSecond } from "./stats.ts";
import { queueTxt2img, type Rig, startWorkers, withRig } from "./worker_rig.ts";

const workerCount = 4;
const jobs = 300;
const checkpoints = ["a.safetensors", "b.safetensors", "c.safetensors"];
const loadMs = 150;
const stepMs = 20;
const steps = 4;

interface Run {
  loads: number;
  jobsPerSecond: number;
  p99WaitMs: number;
}

/** Queues the mixed workload, waits for every job's report; what it cost. */
async function mixedRun(ctx: BenchContext, rig: Rig): Promise<Run> {
  const loadsBefore = rig.sims.reduce((sum, s) => sum + s.modelLoads, 0);
  const kinds = checkpoints.map((checkpoint) => ({
    params: Txt2ImgParams.parse({ prompt: "a kiln at dusk", width: 64, height: 64, steps, checkpoint }),
    requirements: { checkpoints: [checkpoint] },
  }));
  const { ids, sentAt } = await queueTxt2img(
    ctx,
    rig,
    Array.from({ length: jobs }, (_, i) => kinds[i % kinds.length]),
  );
  const ends = await Promise.all(ids.map((id) => rig.marks.until(id, "reported", 120_000)));
  const elapsedMs = Math.max(...ends) - sentAt;
  const waits = await ctx.db.query<{ ms: number }>(
    `select extract(epoch from claimed_at - created_at) * 1000 as ms from public.jobs where id = any($1)`,
    [ids],
  );
  return {
    loads: rig.sims.reduce((sum, s) => sum + s.modelLoads, 0) - loadsBefore,
    jobsPerSecond: perSecond(jobs, elapsedMs),
    p99WaitMs: percentile(
      waits.map((w) => Number(w.ms)),
      99,
    ),
  };
}

export const modelSection: BenchSection = {
  name: "models",
  title: `model loads: ${jobs} jobs over ${checkpoints.length} checkpoints, ${workerCount} workers, ${loadMs} ms a load`,
  run(ctx) {
    return withRig(ctx, workerCount, { stepMs, modelLoadMs: loadMs, checkpoints }, async (rig) => {
      const setWait = (seconds: number) => setSetting(ctx.db, "model_affinity_wait_seconds", seconds);
      await startWorkers(rig, ctx, true);
      let fifo: Run;
      let affinity: Run;
      try {
        await setWait(0);
        fifo = await mixedRun(ctx, rig);
        await setWait(60);
        affinity = await mixedRun(ctx, rig);
      } finally {
        await setWait(60);
      }
      const shown = (run: Run) =>
        `${run.loads} loads, ${formatRate(run.jobsPerSecond, "jobs/s")}, p99 wait ${formatMs(run.p99WaitMs)}`;
      const row: BenchRow = {
        benchmark: "model loads, mixed workload",
        result:
          `loaded model first: ${shown(affinity)} · FIFO: ${shown(fifo)} ` +
          `(${(fifo.loads / Math.max(1, affinity.loads)).toFixed(1)}× the loads); ` +
          `${jobs} jobs, ${checkpoints.length} checkpoints interleaved, ${workerCount} workers, ` +
          `${loadMs} ms a load, ${steps} × ${stepMs} ms steps`,
        target: "≥ 3× fewer loads, more jobs/s, p99 wait ≤ 2× FIFO",
      };
      return [row];
    });
  },
};
