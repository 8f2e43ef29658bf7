/** How fast kiln.create_job queues jobs from concurrent connections, for owners that do not contend. */
import { closeAll, openClients, runFor } from "./load.ts";
import type { BenchSection } from "./report.ts";
import { benchParams, createJobSql, createOwners, resetJobs } from "./setup.ts";
import { formatRate, perSecond } from "./stats.ts";

const connections = 8;
/** Many, so no owner's active jobs pile up: kiln.create_job counts them (up to the cap) on every create. */
const owners = 512;
const durationMs = 5000;

/** Section `create`: jobs created per second from 8 connections. */
export const createSection: BenchSection = {
  name: "create",
  title: `kiln.create_job from ${connections} connections over ${owners} owners, ${durationMs / 1000} s`,
  async run(ctx) {
    const ids = await createOwners(ctx.db, owners);
    const clients = await openClients(ctx.url, connections);
    // Connection i creates for owners i, i + 8, i + 16…: creates for one owner serialize on its profile row,
    // and that wait is not what this measures.
    const made = new Array<number>(connections).fill(0);
    try {
      const { count, elapsedMs } = await runFor(clients, durationMs, async (client, i) => {
        const owner = ids[(i + connections * made[i]++) % ids.length];
        await client.query(createJobSql, [owner, "bench_create", benchParams, 1]);
        return true;
      });
      return [
        {
          benchmark: `jobs created/s (kiln.create_job, ${connections} connections)`,
          result: formatRate(perSecond(count, elapsedMs)),
          target: "—",
        },
      ];
    } finally {
      await closeAll(clients);
      await resetJobs(ctx.db);
    }
  },
};
