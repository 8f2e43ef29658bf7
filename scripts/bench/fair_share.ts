/**
 * Section `fair`: what one account's burst costs another account. Account A queues 2,000 jobs, then account B
 * queues 10; 4 simulated GPU slots (each a connection that claims one job, holds it `gpuMs`, completes it) drain the
 * queue until B's last job is claimed. B's waits (created → claimed) are read from the jobs, once with fair share
 * (the default) and once with `fair_share` off (first come, first served), in the same run.
 */
import { performance } from "node:perf_hooks";
import { setSetting } from "../../supabase/tests/helpers/fixtures.ts";
import type { Database } from "../db/database.ts";
import { cycle } from "./claim_cycles.ts";
import { closeAll, openClients } from "./load.ts";
import type { BenchRow, BenchSection } from "./report.ts";
import { createOwners, createWorkers, fillQueue, resetJobs } from "./setup.ts";
import { formatMs, percentile } from "./stats.ts";

const jobType = "bench_fair";
const slots = 4;
const burst = 2000;
const late = 10;
const gpuMs = 10;

/** Runs `slots` GPU loops until `until` says stop (or the queue is empty); how many jobs they ran. */
async function runSlots(url: string, workers: string[], until: () => Promise<boolean>): Promise<number> {
  const clients = await openClients(url, slots);
  let done = false;
  let ran = 0;
  try {
    await Promise.all(
      clients.map(async (client: Database, i) => {
        while (!done) {
          if (!(await cycle(client, workers[i], jobType, gpuMs))) break;
          ran++;
          if (i === 0 && (await until())) done = true;
        }
      }),
    );
    return ran;
  } finally {
    await closeAll(clients);
  }
}

/** B's waits (ms, created → claimed, in claim order) with fair share on or off, and a round of the slots (ms). */
async function bWaits(db: Database, url: string, fair: boolean): Promise<{ waits: number[]; roundMs: number }> {
  await setSetting(db, "fair_share", fair);
  const [a, b] = await createOwners(db, 2);
  const workers = await createWorkers(db, slots, [jobType]);
  await fillQueue(db, [a], jobType, burst);
  await fillQueue(db, [b], jobType, late);
  const started = performance.now();
  const bQueued = async () => {
    const [{ n }] = await db.query<{ n: number }>(
      "select count(*)::int as n from public.jobs where owner_id = $1 and status = 'queued'",
      [b],
    );
    if (performance.now() - started > 120_000) throw new Error("B's jobs were not all claimed within 2 minutes");
    return n === 0;
  };
  const ran = await runSlots(url, workers, bQueued);
  // A round: the time each slot takes per job (its GPU time and Kiln's claim and report), measured.
  const roundMs = ((performance.now() - started) * slots) / ran;
  const rows = await db.query<{ ms: number }>(
    `select extract(epoch from claimed_at - created_at) * 1000 as ms
       from public.jobs where owner_id = $1 order by claimed_at`,
    [b],
  );
  await resetJobs(db);
  return { waits: rows.map((r) => Number(r.ms)), roundMs };
}

export const fairSection: BenchSection = {
  name: "fair",
  title: `fair share: A queues ${burst}, then B queues ${late}; ${slots} slots of ${gpuMs} ms`,
  async run(ctx) {
    try {
      const fair = await bWaits(ctx.db, ctx.url, true);
      const fifo = await bWaits(ctx.db, ctx.url, false);
      const rounds = (ms: number, run: { roundMs: number }) => `${(ms / run.roundMs).toFixed(1)} rounds`;
      const shown = (run: { waits: number[]; roundMs: number }) => {
        const p99 = percentile(run.waits, 99);
        return `first ${formatMs(run.waits[0])}, p99 ${formatMs(p99)} (${rounds(p99, run)})`;
      };
      const row: BenchRow = {
        benchmark: "fair share: B's wait behind A's burst",
        result:
          `fair share: ${shown(fair)} · FIFO: ${shown(fifo)}; ` +
          `A ${burst} jobs then B ${late}, ${slots} slots, a round ${formatMs(fair.roundMs)}`,
        target: "B waits about a round of slots",
      };
      return [row];
    } finally {
      await setSetting(ctx.db, "fair_share", true);
    }
  },
};
