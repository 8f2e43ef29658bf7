/**
 * How many claim + complete cycles per second workers get through a full queue: kiln.claim_jobs for one job,
 * then kiln.complete_job, each claimer on its own connection with its own worker row; and the same with 8 jobs a
 * call (kiln.claim_jobs for 8, kiln.complete_jobs for the 8: the batched report path).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../db/database.ts";
import { closeAll, openClients, runFor } from "./load.ts";
import type { BenchRow, BenchSection } from "./report.ts";
import { createOwners, createWorkers, fillQueue, resetJobs, settleJobs } from "./setup.ts";
import { formatRate, perSecond } from "./stats.ts";

const jobType = "bench_cycle";
/** Enough for the three runs at the rates seen so far; a run that empties the queue stops early and says so. */
const queued = 28000;
/** kiln.create_job counts the owner's active jobs on every create: deep per-owner queues make the fill quadratic. */
const jobsPerOwner = 50;
const runs = [
  { claimers: 1, durationMs: 3000, batch: 1 },
  { claimers: 8, durationMs: 4000, batch: 1 },
  { claimers: 8, durationMs: 4000, batch: 8 },
];

/** The figures the pgbench section compares against: jobs/s with 8 claimers, one job a call and 8 a call. */
export const claimCyclesMetric = "claim_cycles_8";
export const batchedCyclesMetric = "claim_cycles_8_batched";

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

/** Claims up to `n` jobs on `client` for `worker` and completes them in one call; how many it completed. */
async function batchCycle(client: Database, worker: string, n: number): Promise<number> {
  const jobs = await client.query<{ id: string; fencing_token: string }>(
    "select id, fencing_token from kiln.claim_jobs($1, $2, $3)",
    [worker, [jobType], n],
  );
  if (jobs.length === 0) return 0;
  const reports = jobs.map((j) => ({ id: j.id, fencing_token: j.fencing_token, outputs: [] }));
  const [{ held }] = await client.query<{ held: number }>(
    "select count(*) filter (where (r ->> 'held')::boolean) as held from jsonb_array_elements(kiln.complete_jobs($1, $2)) r",
    [worker, reports],
  );
  if (Number(held) !== jobs.length) throw new Error(`complete_jobs completed ${held} of ${jobs.length}`);
  return jobs.length;
}

/** Section `claim`: cycles/s with 1 and with 8 concurrent claimers. */
export const claimSection: BenchSection = {
  name: "claim",
  title: `claim + complete cycles, ${runs.map((r) => `${r.claimers} claimer(s) × ${r.batch} a call ${r.durationMs / 1000} s`).join(", ")}`,
  async run(ctx) {
    const owners = await createOwners(ctx.db, queued / jobsPerOwner);
    const workers = await createWorkers(ctx.db, Math.max(...runs.map((r) => r.claimers)), [jobType]);
    const rows: BenchRow[] = [];
    try {
      await fillQueue(ctx.db, owners, jobType, queued);
      for (const { claimers, durationMs, batch } of runs) {
        // Each run starts from a vacuumed table, not from the dead rows the previous run left.
        await settleJobs(ctx.db);
        const clients = await openClients(ctx.url, claimers);
        try {
          const { count, elapsedMs } = await runFor(clients, durationMs, (client, i) =>
            batch === 1 ? cycle(client, workers[i]) : batchCycle(client, workers[i], batch),
          );
          const rate = perSecond(count, elapsedMs);
          if (claimers === 8) ctx.metrics.set(batch === 1 ? claimCyclesMetric : batchedCyclesMetric, rate);
          const drained = elapsedMs < durationMs ? ` (queue emptied after ${count} cycles)` : "";
          const who = `${claimers} claimer${claimers > 1 ? "s" : ""}`;
          rows.push({
            benchmark:
              batch === 1
                ? `claim + complete cycles/s, ${who}`
                : `claim + complete cycles/s, ${who}, ${batch} jobs a call (batched reports)`,
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
