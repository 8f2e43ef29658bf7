/**
 * Broadcast from Database through the local stack's Realtime: 100 realtime-js clients (vsn 2.0.0, as supabase-js
 * speaks it) join the owner's private topic `user:<id>`; each kiln.create_job sends 'job.queued' there from inside
 * its transaction, and the relay (LISTEN) fans it out. Latency runs from sending create_job to each client's
 * callback, all in this process, so it includes the commit, the NOTIFY, the relay and the WebSocket hop.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { RealtimeClient } from "@supabase/supabase-js";
import { realtimeClient, signToken, subscribed } from "../local/realtime/test_clients.ts";
import { startStack } from "../local/stack.ts";
import { closeAll, openClients } from "./load.ts";
import type { BenchSection } from "./report.ts";
import { benchParams, createJobSql, createOwners, resetJobs } from "./setup.ts";
import { formatMs, percentile } from "./stats.ts";

const subscribers = 100;
const sends = 200;
const gapMs = 10;

/** Section `realtime`: p50 and p99 from create_job sent to 'job.queued' received, over every subscriber. */
export const realtimeSection: BenchSection = {
  name: "realtime",
  title: `Broadcast from Database → ${subscribers} realtime-js subscribers, ${sends} sends ${gapMs} ms apart`,
  async run(ctx) {
    const stack = await startStack({ port: 0, databaseUrl: ctx.url });
    const clients: RealtimeClient[] = [];
    const [{ name }] = await ctx.db.query<{ name: string }>("select current_database() as name");
    try {
      const [owner] = await createOwners(ctx.db, 1);
      const token = await signToken(stack.url, owner, 3600);
      const received = new Map<string, number[]>();
      for (let i = 0; i < subscribers; i++) clients.push(realtimeClient(stack.url, stack.keys.anonKey, "2.0.0"));
      await Promise.all(
        clients.map(async (client) => {
          await client.setAuth(token);
          const channel = client.channel(`user:${owner}`, { config: { private: true } });
          channel.on("broadcast", { event: "job.queued" }, (message) => {
            const id = (message.payload as { job: { id: string } }).job.id;
            const times = received.get(id) ?? [];
            times.push(performance.now());
            received.set(id, times);
          });
          await subscribed(channel, 30_000);
        }),
      );

      // Opened after the stack switched the relay on for the database, so its create_job NOTIFYs.
      const [producer] = await openClients(ctx.url, 1);
      const sentAt = new Map<string, number>();
      try {
        for (let i = 0; i < sends; i++) {
          const start = performance.now();
          const [{ result }] = await producer.query<{ result: { job: { id: string } } }>(createJobSql, [
            owner,
            "bench_realtime",
            benchParams,
            1,
          ]);
          sentAt.set(result.job.id, start);
          await sleep(gapMs);
        }
      } finally {
        await closeAll([producer]);
      }
      const expected = sends * subscribers;
      const count = () => [...received.values()].reduce((n, times) => n + times.length, 0);
      for (let waited = 0; count() < expected && waited < 3000; waited += 10) await sleep(10);

      const latencies = [...sentAt].flatMap(([id, t]) => (received.get(id) ?? []).map((r) => r - t));
      const missed = expected - latencies.length;
      const note = missed > 0 ? ` (${missed} of ${expected} deliveries missing)` : "";
      return [
        {
          benchmark: `broadcast from SQL → ${subscribers} realtime-js subscribers, p50 / p99`,
          result: `${formatMs(percentile(latencies, 50))} / ${formatMs(percentile(latencies, 99))}${note}`,
          target: "p50 < 20 ms",
        },
      ];
    } finally {
      await Promise.all(clients.map((c) => c.removeAllChannels()));
      await stack.stop();
      // Later sections must not pay for the relay's NOTIFY (a database-wide lock through each commit).
      await ctx.db.exec(`alter database "${name}" reset kiln.realtime_relay`);
      await resetJobs(ctx.db);
    }
  },
};
