/**
 * How many claim + complete cycles per second workers get through a full queue: kiln.claim_jobs for one job,
 * then kiln.complete_job, each claimer on its own connection with its own worker row.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../db/database.ts";
import { closeAll, openClients, runFor } from "./load.ts";
import type { BenchRow, BenchSection } from "./report.ts";
import { createOwners, createWorkers, fillQueue, resetJobs, settleJobs } from "./setup.ts";
import { formatRate, perSecond } from "./stats.ts";

const jobType = "bench_cycle";
/** Enough for both runs at the rates seen so far; a run that empties the queue stops early and says so. */
const queued = 16000;
/** kiln.create_job counts the owner's active jobs on every create: deep per-owner queues make the fill quadratic. */
const jobsPerOwner = 50;
const runs = [
  { claimers: 1, durationMs: 3000 },
  { claimers: 8, durationMs: 4000 },
];

/** The figure the pgbench section compares against: cycles/s with 8 claimers. */
export const claimCyclesMetric = "claim_cycles_8";

/** One cycle on `client` for `worker`, holding the job `holdMs` (its "GPU" time); false when nothing was claimable. */
export async function cycle(client: Database, worker: string, type = jobType, holdMs = 0): Promise<boolean> {
  const [job] = await client.query<{ id: string; fencing_token: number }>(
    "select id, fencing_token from kiln.claim_jobs($1, $2, 1)",
    [worker, [type]],
  );
  if (!job) return false;
  if (holdMs > 0) await sleep(holdMs);
  await client.query("select kiln.complete_job($1, $2, $3, '[]')", [job.id, worker, job.fencing_token]);
  return true;
}

/** Section `claim`: cycles/s with 1 and with 8 concurrent claimers. */
export const claimSection: BenchSection = {
  name: "claim",
  title: `claim + complete cycles, ${runs.map((r) => `${r.claimers} claimer(s) ${r.durationMs / 1000} s`).join(", ")}`,
  async run(ctx) {
    const owners = await createOwners(ctx.db, queued / jobsPerOwner);
    const workers = await createWorkers(ctx.db, Math.max(...runs.map((r) => r.claimers)), [jobType]);
    const rows: BenchRow[] = [];
    try {
      await fillQueue(ctx.db, owners, jobType, queued);
      for (const { claimers, durationMs } of runs) {
        // Each run starts from a vacuumed table, not from the dead rows the previous run left.
        await settleJobs(ctx.db);
        const clients = await openClients(ctx.url, claimers);
        try {
          const { count, elapsedMs } = await runFor(clients, durationMs, (client, i) => cycle(client, workers[i]));
          const rate = perSecond(count, elapsedMs);
          if (claimers === 8) ctx.metrics.set(claimCyclesMetric, rate);
          const drained = elapsedMs < durationMs ? ` (queue emptied after ${count} cycles)` : "";
          rows.push({
            benchmark: `claim + complete cycles/s, ${claimers} claimer${claimers > 1 ? "s" : ""}`,
            result: formatRate(rate) + drained,
            target: "—",
          });
        } finally {
          await closeAll(clients);
        }
      }
      return rows;
    } finally {
      await resetJobs(ctx.db);
    }
  },
};
