/**
 * Webhook delivery. Throughput: a backlog of job.queued deliveries (one endpoint per owner, 50 owners) sent by one
 * Dispatcher (32 at once, the function's defaults) to a receiver on loopback in this process, which answers 204
 * at once; deliveries/s over the whole drain, claim and record round trips included. Latency: in the local stack
 * (the dispatch function behind its gateway, no loop), a worker's complete_job commits, then kickDispatch POSTs
 * the dispatcher as the api and workers functions would; the figure runs from sending complete_job to the
 * receiver getting job.succeeded. Then the same with the local stack's loop (NOTIFY) and no kick, and with cron
 * only: no kick, no loop, the dispatcher POSTed every 10 s as pg_cron + pg_net would, jobs finishing at random
 * moments between ticks.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { systemResolver } from "../../shared/net/dns_resolver.ts";
import { kickDispatch } from "../../supabase/functions/_shared/dispatch_kick.ts";
import { Dispatcher } from "../../supabase/functions/dispatch/delivery/dispatcher.ts";
import { WEBHOOK_USER_AGENT } from "../../supabase/functions/dispatch/deps.ts";
import type { Queryable } from "../db/database.ts";
import { startStack } from "../local/stack.ts";
import type { BenchSection } from "./report.ts";
import { benchParams, createOwners, createWorkers, fillQueue, resetJobs } from "./setup.ts";
import { formatMs, formatRate, percentile, perSecond } from "./stats.ts";

const backlog = 3000;
const owners = 50;
const latencyJobs = 60;
/** Jobs timed with cron only: each waits up to a whole 10 s tick. */
const cronJobs = 8;
const cronIntervalMs = 10_000;
const jobType = "bench_webhook";

/** A receiver that answers 204 at once and tells `onJob` which job each body was about, and when. */
async function listen(
  onJob: (jobId: string, type: string, at: number) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = performance.now();
      res.writeHead(204).end();
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      onJob(body.data.id, body.type, at);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function addEndpoints(db: Queryable, ownerIds: string[], url: string, events: string[]): Promise<void> {
  await db.query(
    `insert into public.webhook_endpoints (owner_id, url, secret, events)
     select o, $2, kiln.new_webhook_secret(), $3 from unnest($1::uuid[]) o`,
    [ownerIds, url, events],
  );
}

/** Section `webhooks`: deliveries/s, and job finished → first delivery attempt with a kick and with the loop. */
export const webhookSection: BenchSection = {
  name: "webhooks",
  title: `webhook delivery: ${backlog} deliveries to a loopback receiver; job finished → delivery, ${latencyJobs} jobs`,
  async run(ctx) {
    const [{ name }] = await ctx.db.query<{ name: string }>("select current_database() as name");
    try {
      // Throughput.
      let received = 0;
      const receiver = await listen(() => {
        received++;
      });
      const sql = postgres(ctx.url, { prepare: false, max: 8, onnotice: () => {} });
      let rate: number;
      try {
        const ownerIds = await createOwners(ctx.db, owners);
        await addEndpoints(ctx.db, ownerIds, receiver.url, ["job.queued"]);
        await fillQueue(ctx.db, ownerIds, jobType, backlog);
        await ctx.db.exec("analyze public.webhook_deliveries");
        const dispatcher = new Dispatcher(
          {
            sql,
            resolver: systemResolver,
            fetch,
            policy: { httpAllow: ["127.0.0.1"], privateAllow: ["127.0.0.1"] },
            apiUrl: "http://127.0.0.1:54321",
            userAgent: WEBHOOK_USER_AGENT,
            log: () => {},
          },
          { batchSize: 100, concurrency: 32, budgetMs: 120_000, lingerMs: 0, leaseSeconds: 60, timeoutMs: 15_000 },
        );
        const start = performance.now();
        const counts = await dispatcher.run();
        const elapsed = performance.now() - start;
        if (counts.delivered !== backlog || received !== backlog) {
          throw new Error(`delivered ${counts.delivered}, received ${received} of ${backlog}`);
        }
        rate = perSecond(counts.delivered, elapsed);
      } finally {
        await sql.end({ timeout: 5 });
        await receiver.close();
      }
      await resetJobs(ctx.db);

      const kicked = await finishToDelivery(ctx, "kick");
      await resetJobs(ctx.db);
      const looped = await finishToDelivery(ctx, "loop");
      await resetJobs(ctx.db);
      const cron = await finishToDelivery(ctx, "cron");
      return [
        {
          benchmark: "webhook deliveries/s to a loopback receiver (32 in flight)",
          result: formatRate(rate),
          target: "≥ 300 /s",
        },
        {
          benchmark: "job finished → first delivery attempt, with the kick, p50 / p99",
          result: `${formatMs(percentile(kicked, 50))} / ${formatMs(percentile(kicked, 99))}`,
          target: "p50 < 250 ms",
        },
        {
          benchmark: "job finished → first delivery attempt, local loop (NOTIFY), p50 / p99",
          result: `${formatMs(percentile(looped, 50))} / ${formatMs(percentile(looped, 99))}`,
          target: "—",
        },
        {
          benchmark: `job finished → first delivery attempt, cron only (every 10 s, ${cronJobs} jobs), p50 / max`,
          result: `${formatMs(percentile(cron, 50))} / ${formatMs(Math.max(...cron))}`,
          target: "p50 < 11 s",
        },
      ];
    } finally {
      // Later sections must not pay for the NOTIFYs the stack switched on.
      await ctx.db.exec(`alter database "${name}" reset kiln.realtime_relay`);
      await ctx.db.exec(`alter database "${name}" reset kiln.dispatch_notify`);
      await resetJobs(ctx.db);
    }
  },
};

/**
 * Latencies (ms) from sending complete_job to the receiver getting job.succeeded, one job at a time, woken by a
 * kick (no loop in the stack), by the stack's loop (no kick), or by a cron-like tick every 10 s (neither).
 */
async function finishToDelivery(ctx: { url: string; db: Queryable }, how: "kick" | "loop" | "cron"): Promise<number[]> {
  const arrivals = new Map<string, number>();
  const receiver = await listen((jobId, type, at) => {
    if (type === "job.succeeded") arrivals.set(jobId, at);
  });
  const stack = await startStack({
    port: 0,
    databaseUrl: ctx.url,
    quiet: true,
    dispatchLoop: how === "loop",
    functionEnv: { KILN_WEBHOOK_HTTP_ALLOW: "127.0.0.1" },
  });
  // Opened after the stack set the database's options, so its transactions NOTIFY as the stack's do.
  const worker = postgres(ctx.url, { max: 1, onnotice: () => {} });
  const latencies: number[] = [];
  const target = { SUPABASE_URL: stack.url, KILN_DISPATCH_SECRET: stack.dispatchSecret };
  // What pg_cron does through pg_net: POST the dispatcher with its secret, on a clock of its own.
  const cron =
    how === "cron"
      ? setInterval(() => {
          void fetch(`${stack.url}/functions/v1/dispatch/run`, {
            method: "POST",
            headers: { authorization: `Bearer ${stack.dispatchSecret}`, "content-type": "application/json" },
            body: JSON.stringify({ source: "cron" }),
          }).then((response) => response.body?.cancel());
        }, cronIntervalMs)
      : undefined;
  try {
    const [owner] = await createOwners(ctx.db, 1);
    await addEndpoints(ctx.db, [owner], receiver.url, ["job.succeeded"]);
    const [workerId] = await createWorkers(ctx.db, 1, [jobType]);
    const jobs = how === "cron" ? cronJobs : latencyJobs;
    const deadlineMs = how === "cron" ? cronIntervalMs + 5000 : 5000;
    for (let i = 0; i < jobs; i++) {
      // With cron, jobs finish at random moments between ticks.
      if (how === "cron") await sleep(Math.random() * cronIntervalMs);
      await worker`select kiln.create_job(p_owner_id => ${owner}, p_type => ${jobType}, p_params => ${worker.json(benchParams)}, p_cost => 1)`;
      const [held] = await worker<{ id: string; fencing_token: number }[]>`
        select id, fencing_token from kiln.claim_jobs(${workerId}, ${[jobType]}, 1)`;
      const sent = performance.now();
      await worker`select kiln.complete_job(${held.id}, ${workerId}, ${held.fencing_token}, '[]'::jsonb)`;
      if (how === "kick") kickDispatch(target);
      for (let waited = 0; !arrivals.has(held.id) && waited < deadlineMs; waited += 1) await sleep(1);
      const at = arrivals.get(held.id);
      if (at === undefined) throw new Error(`job ${held.id}: no delivery within ${deadlineMs} ms (${how})`);
      latencies.push(at - sent);
      await sleep(20);
    }
  } finally {
    clearInterval(cron);
    await worker.end({ timeout: 5 });
    await stack.stop();
    await receiver.close();
  }
  return latencies;
}
