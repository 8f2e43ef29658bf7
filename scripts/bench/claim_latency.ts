/**
 * Insert → claim latency for a worker woken by LISTEN/NOTIFY: the lifecycle NOTIFYs `kiln_queue` (payload:
 * the job type) when a job becomes claimable; the claimer listens and, on each wake-up, claims until the queue
 * is empty. Both times are taken in this process, so the figure includes both round trips and the NOTIFY.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { QUEUE_CHANNEL } from "../../shared/channels.ts";
import { closeAll, openClients } from "./load.ts";
import type { BenchSection } from "./report.ts";
import { benchParams, createJobSql, createOwners, createWorkers, resetJobs } from "./setup.ts";
import { formatMs, percentile } from "./stats.ts";

const jobType = "bench_latency";
const jobs = 200;
const gapMs = 15;

/** Section `latency`: p50 and p99 from create_job sent to claim_jobs returned. */
export const latencySection: BenchSection = {
  name: "latency",
  title: `insert → claim latency, LISTEN/NOTIFY, ${jobs} jobs ${gapMs} ms apart`,
  async run(ctx) {
    const [owner] = await createOwners(ctx.db, 1);
    const [worker] = await createWorkers(ctx.db, 1, [jobType]);
    const [producer, claimer] = await openClients(ctx.url, 2);
    const listener = postgres(ctx.url, { max: 1, onnotice: () => {} });
    const createdAt = new Map<string, number>();
    const claimedAt = new Map<string, number>();
    let claiming: Promise<void> | undefined;
    let wokenWhileClaiming = false;
    let failure: unknown;

    const claimAll = async () => {
      do {
        wokenWhileClaiming = false;
        for (;;) {
          const [job] = await claimer.query<{ id: string }>("select id from kiln.claim_jobs($1, $2, 1)", [
            worker,
            [jobType],
          ]);
          if (!job) break;
          claimedAt.set(job.id, performance.now());
        }
      } while (wokenWhileClaiming);
    };
    // A wake-up that arrives during a claim round is not lost: the round goes once more.
    const wake = () => {
      if (claiming) {
        wokenWhileClaiming = true;
        return;
      }
      claiming = claimAll()
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => {
          claiming = undefined;
        });
    };

    try {
      await listener.listen(QUEUE_CHANNEL, (payload) => {
        if (payload === jobType) wake();
      });
      for (let i = 0; i < jobs; i++) {
        const sentAt = performance.now();
        const [{ result }] = await producer.query<{ result: { job: { id: string } } }>(createJobSql, [
          owner,
          jobType,
          benchParams,
          1,
        ]);
        createdAt.set(result.job.id, sentAt);
        await sleep(gapMs);
      }
      for (let waited = 0; claimedAt.size < jobs && waited < 2000; waited += 10) await sleep(10);
      await claiming;
      if (failure) throw failure;
      const latencies = [...createdAt].flatMap(([id, t]) => {
        const claimed = claimedAt.get(id);
        return claimed === undefined ? [] : [claimed - t];
      });
      const missed = jobs - latencies.length;
      const note = missed > 0 ? ` (${missed} of ${jobs} never claimed)` : "";
      return [
        {
          benchmark: "insert → claim latency p50 (LISTEN/NOTIFY)",
          result: formatMs(percentile(latencies, 50)) + note,
          target: "< 10 ms",
        },
        {
          benchmark: "insert → claim latency p99 (LISTEN/NOTIFY)",
          result: formatMs(percentile(latencies, 99)),
          target: "—",
        },
      ];
    } finally {
      await listener.end({ timeout: 5 });
      await closeAll([producer, claimer]);
      await resetJobs(ctx.db);
    }
  },
};
