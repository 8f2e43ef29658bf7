/**
 * One round of chaos on a whole Kiln: the local stack on a PostgreSQL cluster of the round's own (never the
 * shared server), real workers on a ComfyUI simulator, a webhook receiver and a dispatcher loop, all with short
 * leases and retries so a round takes seconds. While a batch of jobs (each with its own webhook) runs, workers are
 * killed dead at random points of a job's life (right after a claim, mid-run, after ComfyUI is done, mid-upload,
 * before the report, and at random moments), PostgreSQL restarts, ComfyUI is killed and comes back, the receiver
 * fails for a while, the dispatcher dies mid-batch, and some jobs are canceled. Then, with healthy parts, the round
 * waits for everything to settle and checks the promises: every job ended exactly once (one terminal event), none
 * was lost, every account's credits equal its ledger, and every webhook was delivered or dead-lettered with each
 * attempt logged. One seed drives every choice.
 */
import { setTimeout as pause } from "node:timers/promises";
import { testDispatcher } from "../../../supabase/functions/dispatch/testing/dispatch_harness.ts";
import { startReceiver } from "../../../supabase/functions/dispatch/testing/webhook_receiver.ts";
import type { JobMark } from "../../../worker/run_job.ts";
import { startWorkerStack, type TestWorker } from "../../../worker/testing/worker_stack.ts";
import type { ComfyuiSim } from "../../comfyui_sim/sim.ts";
import { Random } from "../fuzz/schema_values.ts";
import { startPrivatePostgres } from "../private_postgres.ts";

export interface ChaosPlan {
  seed: number;
  jobs: number;
  /** Worker kills, at marks of a run or at random moments. */
  kills: number;
  workers: number;
  /** How long the receiver fails: past the retry schedule's ~8 s, some deliveries go dead. */
  receiverDownMs: number;
  /** How long the whole round may take to settle. */
  timeoutMs: number;
}

export interface ChaosReport {
  seed: number;
  jobs: number;
  killsAt: Record<string, number>;
  postgresRestarts: number;
  comfyuiKills: number;
  dispatcherKills: number;
  receiverDownMs: number;
  canceledByOwner: number;
  ended: Record<string, number>;
  /** Jobs with other than exactly one terminal event, or not ended. */
  notEndedOnce: string[];
  creditMismatches: string[];
  deliveries: Record<string, number>;
  /** Deliveries still pending, or whose attempts are not all logged. */
  deliveryProblems: string[];
  /** Ended jobs whose terminal event never became a delivery. */
  undelivered: string[];
  durationMs: number;
}

const KILL_MARKS: readonly JobMark[] = ["claimed", "prompt_queued", "comfy_done", "put_started", "put_done"];
const TERMINAL = ["job.succeeded", "job.failed", "job.canceled"];

export async function runChaosRound(plan: ChaosPlan): Promise<ChaosReport> {
  const started = performance.now();
  const random = new Random(plan.seed);
  const pg = await startPrivatePostgres();
  const closers: Array<() => Promise<unknown>> = [() => pg.stop()];
  try {
    const stack = await startWorkerStack({
      databaseUrl: pg.url,
      functionEnv: {
        KILN_WEBHOOK_HTTP_ALLOW: "127.0.0.1",
        KILN_RATE_LIMIT_READ_PER_MINUTE: "1000000",
        KILN_RATE_LIMIT_CREATE_PER_MINUTE: "1000000",
        KILN_RATE_LIMIT_IP_PER_MINUTE: "1000000",
      },
    });
    closers.unshift(() => stack.close());
    // Short leases, quick retries and deliveries, and room for many attempts: a round takes seconds.
    await stack.setting("lease_seconds", 2);
    await stack.setting("max_attempts", 20);
    await stack.setting("max_active_jobs", 100_000);
    await stack.setting("webhook_retry_schedule_seconds", [0.2, 0.5, 1, 1, 1, 2, 2]);
    const receiver = await startReceiver();
    closers.unshift(() => receiver.close());
    let sim: ComfyuiSim = await stack.sim({ stepMs: 10 });

    const report: ChaosReport = {
      seed: plan.seed,
      jobs: plan.jobs,
      killsAt: {},
      postgresRestarts: 0,
      comfyuiKills: 0,
      dispatcherKills: 0,
      receiverDownMs: 0,
      canceledByOwner: 0,
      ended: {},
      notEndedOnce: [],
      creditMismatches: [],
      deliveries: {},
      deliveryProblems: [],
      undelivered: [],
      durationMs: 0,
    };
    let killsLeft = plan.kills;
    const fleet = new Set<TestWorker>();
    const kill = async (worker: TestWorker, at: string) => {
      if (!fleet.delete(worker)) return;
      killsLeft--;
      report.killsAt[at] = (report.killsAt[at] ?? 0) + 1;
      await worker.worker.kill();
      await addWorker();
    };
    const addWorker = async () => {
      const self: { worker?: TestWorker } = {};
      self.worker = await stack.startWorker([sim], {
        realtime: false,
        pollIntervalMs: 100,
        onJobMark: (_job, mark) => {
          if (self.worker && killsLeft > 0 && KILL_MARKS.includes(mark) && random.chance(0.25)) {
            void kill(self.worker, mark);
          }
        },
      });
      fleet.add(self.worker);
    };
    for (let i = 0; i < plan.workers; i++) await addWorker();

    let dispatcher = testDispatcher(stack.h.target.functionsDbUrl, {
      apiUrl: stack.h.target.url,
      leaseSeconds: 2,
      timeoutMs: 1000,
    });
    let stopped = false;
    const dispatching = (async () => {
      while (!stopped) {
        try {
          await stack.h.sql`select kiln.run_sweeps(p_force => true)`;
          await dispatcher.dispatcher.run();
        } catch {
          // A restart or a killed dispatcher cuts a pass short; the next one carries on.
        }
        await pause(100);
      }
    })();
    closers.unshift(async () => {
      stopped = true;
      await dispatching;
      await dispatcher.close();
    });

    const ids: string[] = [];
    for (let i = 0; i < plan.jobs; i++) {
      ids.push(
        await stack.h
          .call("POST", "/v1/jobs", {
            auth: stack.user.token,
            body: {
              type: "txt2img",
              params: { prompt: `chaos ${i}`, width: 64, height: 64, steps: random.int(2, 12) },
              webhook: receiver.url(`/job/${i}`),
              webhook_events: ["job.started", ...TERMINAL],
            },
          })
          .then(async (response) => {
            const job = (await response.json()) as { id?: string };
            if (response.status !== 201 || !job.id)
              throw new Error(`create answered ${response.status}: ${JSON.stringify(job)}`);
            return job.id;
          }),
      );
    }

    const endedCount = async () =>
      (
        await stack.h.sql<{ n: number }[]>`
          select count(*)::int as n from public.jobs where id = any(${ids}) and status in ('succeeded', 'failed', 'canceled')`
      )[0].n;
    const events: Array<{ at: number; done: boolean; run: () => Promise<void> }> = [
      {
        at: 0.15,
        done: false,
        run: async () => {
          const down = plan.receiverDownMs;
          receiver.reply(() => ({ status: 503 }));
          report.receiverDownMs = down;
          setTimeout(() => receiver.reply(() => ({ status: 204 })), down);
        },
      },
      {
        at: 0.3,
        done: false,
        run: async () => {
          await pg.restart();
          report.postgresRestarts++;
        },
      },
      {
        at: 0.45,
        done: false,
        run: async () => {
          const port = sim.port;
          await sim.close();
          report.comfyuiKills++;
          await pause(300);
          sim = await stack.sim({ stepMs: 10, port });
        },
      },
      {
        at: 0.6,
        done: false,
        run: async () => {
          const dead = dispatcher;
          dispatcher = testDispatcher(stack.h.target.functionsDbUrl, {
            apiUrl: stack.h.target.url,
            leaseSeconds: 2,
            timeoutMs: 1000,
          });
          await dead.close();
          report.dispatcherKills++;
        },
      },
    ];
    const deadline = Date.now() + plan.timeoutMs;
    let ended = 0;
    while (ended < ids.length) {
      if (Date.now() > deadline) break;
      ended = await endedCount().catch(() => ended);
      for (const event of events) {
        if (!event.done && ended >= event.at * ids.length) {
          event.done = true;
          await event.run();
        }
      }
      if (killsLeft > 0 && random.chance(0.15) && fleet.size > 0) {
        await kill(random.pick([...fleet]), "anywhere");
      }
      if (report.canceledByOwner < Math.ceil(ids.length / 20) && random.chance(0.05)) {
        const response = await stack.h.call("POST", `/v1/jobs/${random.pick(ids)}/cancel`, { auth: stack.user.token });
        if (response.status < 300) report.canceledByOwner++;
        await response.body?.cancel();
      }
      await pause(100);
    }
    // Settled: no delivery may still be pending (the receiver is healthy again, retries are quick).
    while (Date.now() < deadline) {
      const [{ n }] = await stack.h.sql<{ n: number }[]>`
        select count(*)::int as n from public.webhook_deliveries where status = 'pending'`;
      if (n === 0) break;
      await pause(200);
    }
    await check(stack.h.sql, ids, report);
    report.durationMs = Math.round(performance.now() - started);
    return report;
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
}

/** The promises, read from the database. */
async function check(sql: import("postgres").Sql, ids: string[], report: ChaosReport): Promise<void> {
  const jobs = await sql<{ id: string; status: string; terminal_events: number }[]>`
    select j.id, j.status::text as status,
           (select count(*)::int from public.job_events e where e.job_id = j.id and e.type::text = any(${TERMINAL})) as terminal_events
      from public.jobs j where j.id = any(${ids})`;
  for (const job of jobs) {
    report.ended[job.status] = (report.ended[job.status] ?? 0) + 1;
    if (!["succeeded", "failed", "canceled"].includes(job.status) || job.terminal_events !== 1) {
      report.notEndedOnce.push(`${job.id}: ${job.status}, ${job.terminal_events} terminal events`);
    }
  }
  if (jobs.length !== ids.length) report.notEndedOnce.push(`${ids.length - jobs.length} jobs are missing`);
  const credits = await sql<{ id: string; credits: number; ledger: number }[]>`
    select p.id, p.credits::int as credits,
           (select coalesce(sum(l.delta), 0)::int from public.credit_ledger l where l.owner_id = p.id) as ledger
      from public.profiles p`;
  report.creditMismatches = credits
    .filter((p) => p.credits !== p.ledger)
    .map((p) => `${p.id}: ${p.credits} ≠ ${p.ledger}`);
  const deliveries = await sql<{ id: string; status: string; attempts: number; logged: number }[]>`
    select d.id, d.status::text as status, d.attempts,
           (select count(*)::int from public.webhook_attempts a where a.delivery_id = d.id) as logged
      from public.webhook_deliveries d where d.job_id = any(${ids})`;
  for (const delivery of deliveries) {
    report.deliveries[delivery.status] = (report.deliveries[delivery.status] ?? 0) + 1;
    if (delivery.status === "pending" || delivery.attempts < 1 || delivery.attempts !== delivery.logged) {
      report.deliveryProblems.push(
        `${delivery.id}: ${delivery.status}, ${delivery.attempts} attempts, ${delivery.logged} logged`,
      );
    }
  }
  const undelivered = await sql<{ id: string }[]>`
    select j.id from public.jobs j
     where j.id = any(${ids}) and j.status in ('succeeded', 'failed', 'canceled')
       and not exists (select 1 from public.webhook_deliveries d
                        where d.job_id = j.id and d.event_type = 'job.' || j.status::text)`;
  report.undelivered = undelivered.map((j) => j.id);
}
