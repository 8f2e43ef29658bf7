/**
 * Section `gpu`: whether GPUs wait for Kiln between jobs. A backlog of fixed-length jobs (10 sampler steps of 25 ms:
 * 250 ms of "GPU" each) is queued at once for 4 workers, one ComfyUI simulator each, and drained. Each simulator
 * records when each prompt ran; a GPU is busy from a prompt's start to its end, and the gaps between prompts are its
 * idle time. Busy is the sum over the 4 GPUs of their busy time over the span from their first prompt's start to
 * their last one's end (the backlog's tail, with fewer jobs left than GPUs, does not count). Three runs in one: claiming
 * ahead (the default) with ComfyUI's own inter-prompt gap at 0, so what is left is what Kiln costs; the same with the
 * gap measured on a real ComfyUI server (~450 ms after each prompt, ComfyUI's own); and without claiming ahead.
 */
import { performance } from "node:perf_hooks";
import { Txt2ImgParams } from "../../shared/job_types/txt2img.ts";
import type { ComfyuiSim } from "../comfyui_sim/sim.ts";
import type { BenchContext, BenchRow, BenchSection } from "./report.ts";
import { formatMs, percentile } from "./stats.ts";
import { queueTxt2img, type Rig, startWorkers, withRig } from "./worker_rig.ts";

const workerCount = 4;
const backlog = 160;
const steps = 10;
const stepMs = 25;
/** ComfyUI's pause after each prompt, as measured on a real server (shared/reference/comfyui-protocol.md). */
const realGapMs = 450;

interface Busy {
  fraction: number;
  gaps: number[];
}

/** The simulators' busy fraction and idle gaps over the runs they recorded since `from` (an index per sim). */
function busyOf(sims: ComfyuiSim[], from: number[]): Busy {
  let busy = 0;
  let span = 0;
  const gaps: number[] = [];
  sims.forEach((sim, i) => {
    const runs = sim.runs.slice(from[i]);
    if (runs.length === 0) return;
    span += runs[runs.length - 1].endedAt - runs[0].startedAt;
    for (const [k, run] of runs.entries()) {
      busy += run.endedAt - run.startedAt;
      if (k > 0) gaps.push(run.startedAt - runs[k - 1].endedAt);
    }
  });
  return { fraction: span > 0 ? busy / span : 0, gaps };
}

/** Drains a backlog on a fresh rig whose simulators pause `gapMs` after each prompt. */
function drainBacklog(ctx: BenchContext, gapMs: number, prefetch: boolean): Promise<Busy> {
  return withRig(ctx, workerCount, { stepMs, successGapMs: gapMs }, async (rig: Rig) => {
    await startWorkers(rig, ctx, true, { prefetch });
    const params = Txt2ImgParams.parse({ prompt: "a kiln at dusk", width: 64, height: 64, steps });
    const from = rig.sims.map((s) => s.runs.length);
    const { ids, sentAt } = await queueTxt2img(ctx, rig, Array(backlog).fill({ params }));
    await Promise.all(ids.map((id) => rig.marks.until(id, "reported", 120_000)));
    console.error(`  ${backlog} jobs in ${((performance.now() - sentAt) / 1000).toFixed(1)} s`);
    return busyOf(rig.sims, from);
  });
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

export const gpuSection: BenchSection = {
  name: "gpu",
  title: `GPUs under a backlog: ${backlog} jobs of ${steps * stepMs} ms on ${workerCount} workers`,
  async run(ctx) {
    const ahead = await drainBacklog(ctx, 0, true);
    const realGap = await drainBacklog(ctx, realGapMs, true);
    const free = await drainBacklog(ctx, 0, false);
    const gaps = (busy: Busy) => `${formatMs(percentile(busy.gaps, 50))} / ${formatMs(percentile(busy.gaps, 99))}`;
    const shape = `${backlog} jobs of ${steps * stepMs} ms, ${workerCount} GPUs`;
    const rows: BenchRow[] = [
      {
        benchmark: "GPU busy under backlog",
        result:
          `${percent(ahead.fraction)} (ComfyUI's gap 0; ${shape}) · with ComfyUI's measured ${realGapMs} ms gap ` +
          `${percent(realGap.fraction)} · without claiming ahead ${percent(free.fraction)}`,
        target: "≥ 99%",
      },
      {
        benchmark: "GPU idle gap between jobs p50/p99",
        result: `${gaps(ahead)} (ComfyUI's gap 0) · without claiming ahead ${gaps(free)}`,
        target: "—",
      },
    ];
    return rows;
  },
};
