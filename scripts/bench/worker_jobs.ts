/**
 * Section `worker`: jobs end to end through the local stack (on the bench database), 4 ComfyUI simulators at
 * 0 ms per step and 4 workers in this process, each with one slot, wired as the worker process wires them (real
 * workers function, comfyui-client, Realtime, Storage). Jobs are txt2img, 64×64, 4 steps: the PNG is small, so
 * what is timed is Kiln's work, not image bytes. The worker's instrumentation hook (`onJobMark`) gives the
 * times. Everything but PostgreSQL shares one Node event loop, bench included, on what is often 2 cores.
 *
 * - Wake-up latency: jobs created one at a time through the api function (POST /v1/jobs with an API key),
 *   60 ms apart, so the workers sit idle; from the 201 answer to the claim answered at a worker. First with
 *   Realtime wake-ups (no long poll: the claim answers at once), then with new workers without Realtime, which
 *   long-poll the claim (`wait_s` 5 at the default 5 s poll interval; the function LISTENs for kiln_queue).
 * - Kiln's overhead per job, from those same one-at-a-time jobs: claim answered → `POST /prompt` answered, and
 *   `executing {node: null}` seen → `complete` answered, less the Storage PUT of the outputs (timed apart).
 * - Throughput: 200 jobs queued by one kiln.create_job statement, the Realtime workers draining them; from
 *   sending the statement to the last `complete` answered.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Txt2ImgParams } from "../../shared/job_types/txt2img.ts";
import type { BenchContext, BenchSection } from "./report.ts";
import { formatMs, formatRate, percentile, perSecond } from "./stats.ts";
import { queueTxt2img, type Rig, startWorkers, withRig } from "./worker_rig.ts";

const workerCount = 4;
const throughputJobs = 200;
const latencyJobs = 40;
const gapMs = 60;
const params = Txt2ImgParams.parse({ prompt: "a kiln at dusk", width: 64, height: 64, steps: 4 });

/** POST /v1/jobs through the api function; the job id and when the 201 came. */
async function createJob(rig: Rig): Promise<{ id: string; at: number }> {
  const response = await fetch(`${rig.stack.url}/functions/v1/api/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${rig.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ type: "txt2img", params }),
  });
  const text = await response.text();
  const at = performance.now();
  if (response.status !== 201) throw new Error(`POST /v1/jobs answered ${response.status}: ${text}`);
  return { id: (JSON.parse(text) as { id: string }).id, at };
}

/** `count` jobs created at once through the api, until each has been reported (warm-up). */
async function batch(rig: Rig, count: number): Promise<void> {
  const jobs = await Promise.all(Array.from({ length: count }, () => createJob(rig)));
  await Promise.all(jobs.map((j) => rig.marks.until(j.id, "reported")));
}

/** `count` jobs one at a time, each `gapMs` after the last one ended; per job, 201 → claimed. */
async function oneAtATime(rig: Rig, count: number): Promise<{ ids: string[]; wakeups: number[] }> {
  const ids: string[] = [];
  const wakeups: number[] = [];
  for (let i = 0; i < count; i++) {
    const { id, at } = await createJob(rig);
    ids.push(id);
    wakeups.push((await rig.marks.until(id, "claimed")) - at);
    await rig.marks.until(id, "reported");
    await sleep(gapMs);
  }
  return { ids, wakeups };
}

/** `throughputJobs` jobs queued by one statement; the time from sending it to the last one reported. */
async function drain(rig: Rig, ctx: BenchContext): Promise<{ ids: string[]; elapsedMs: number }> {
  const { ids, sentAt } = await queueTxt2img(ctx, rig, Array(throughputJobs).fill({ params }));
  const ends = await Promise.all(ids.map((id) => rig.marks.until(id, "reported", 60_000)));
  return { ids, elapsedMs: Math.max(...ends) - sentAt };
}

const p50 = (samples: number[]) => formatMs(percentile(samples, 50));
const p50p99 = (samples: number[]) => `${p50(samples)} / ${formatMs(percentile(samples, 99))}`;

export const workerSection: BenchSection = {
  name: "worker",
  title: `jobs end to end: ${workerCount} workers × 1 ComfyUI simulator at 0 ms per step, local stack`,
  run(ctx) {
    return withRig(ctx, workerCount, { stepMs: 0 }, async (rig) => {
      await startWorkers(rig, ctx, true);
      await batch(rig, 2 * workerCount); // warm-up: connections, JIT, each slot's default checkpoint
      const viaRealtime = await oneAtATime(rig, latencyJobs);
      const drained = await drain(rig, ctx);
      const loaded = rig.marks.overheads(drained.ids);

      await Promise.all(rig.live.splice(0).map((w) => w.stop()));
      await startWorkers(rig, ctx, false);
      await batch(rig, 2 * workerCount);
      const viaPoll = await oneAtATime(rig, latencyJobs);
      const idle = rig.marks.overheads([...viaRealtime.ids, ...viaPoll.ids]);
      return [
        {
          benchmark: `jobs end to end through ${workerCount} workers (sim 0 ms/step, ${throughputJobs} jobs)`,
          result:
            `${formatRate(perSecond(throughputJobs, drained.elapsedMs), "jobs/s")} ` +
            `(overheads at this load, p50: ${p50(loaded.queue)}, ${p50(loaded.finish)})`,
          target: "—",
        },
        {
          benchmark: `overhead claim → prompt queued in ComfyUI, p50 / p99 (${2 * latencyJobs} jobs one at a time)`,
          result: p50p99(idle.queue),
          target: "p50 < 25 ms",
        },
        {
          benchmark: "overhead ComfyUI done → job succeeded, less the Storage PUT, p50 / p99",
          result: `${p50p99(idle.finish)} (with the PUT: ${p50p99(idle.finishWithPut)})`,
          target: "p50 < 25 ms",
        },
        {
          benchmark: `queue wake-up, job created (201) → claimed, Realtime, p50 / p99 (${latencyJobs} jobs)`,
          result: p50p99(viaRealtime.wakeups),
          target: "—",
        },
        {
          benchmark: `the same, poll only (no Realtime: long-poll claim, wait_s 5)`,
          result: p50p99(viaPoll.wakeups),
          target: "—",
        },
      ];
    });
  },
};
