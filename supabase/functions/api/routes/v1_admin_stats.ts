/**
 * GET /v1/admin/stats: jobs by status and type over a window, success rate, p50/p95 queue wait and run time
 * (percentile_cont in SQL), and now: queue depth (in all and per type), running jobs, workers online.
 */
import { AdminStats, AdminStatsQuery } from "../../../../shared/api/admin_stats.ts";
import { JOB_STATUSES, type JobStatus } from "../../../../shared/job_states.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

interface Totals {
  from: Date;
  to: Date;
  succeeded: number;
  failed: number;
  wait: [number | null, number | null];
  run: [number | null, number | null];
  queued: number;
  claimable: number;
  running: number;
  workers_online: number;
  workers_total: number;
}

const zeroes = (): Record<JobStatus, number> =>
  Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;

export function registerAdminStats(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "get",
      path: "/v1/admin/stats",
      tags: ["Admin"],
      summary: "Queue statistics",
      request: { query: AdminStatsQuery },
      responses: {
        200: {
          description: "Statistics over the window, and now.",
          content: { "application/json": { schema: AdminStats } },
        },
      },
    },
  );
  app.openapi(route, async (c) => {
    const hours = c.req.valid("query").window_hours;
    const sql = deps.sql;
    const since = sql`now() - make_interval(hours => ${hours})`;
    const [counts, [t], depth] = await Promise.all([
      sql<{ type: string; status: JobStatus; n: number }[]>`
        select type, status, count(*)::int as n from public.jobs where created_at >= ${since} group by type, status`,
      sql<Totals[]>`
        select ${since} as from, now() as to,
          (select count(*)::int from public.jobs where finished_at >= ${since} and status = 'succeeded')
            as succeeded,
          (select count(*)::int from public.jobs where finished_at >= ${since} and status = 'failed') as failed,
          (select percentile_cont(array[0.5, 0.95])
                    within group (order by extract(epoch from claimed_at - created_at) * 1000)
             from public.jobs where claimed_at >= ${since}) as wait,
          (select percentile_cont(array[0.5, 0.95])
                    within group (order by extract(epoch from finished_at - claimed_at) * 1000)
             from public.jobs
            where finished_at >= ${since} and status = 'succeeded' and claimed_at is not null) as run,
          (select count(*)::int from kiln.job_queue) as queued,
          (select count(*)::int from kiln.job_queue where run_after <= now()) as claimable,
          (select count(*)::int from kiln.job_running) as running,
          (select count(*)::int from public.workers w where w.revoked_at is null and not w.draining
             and w.last_seen_at > now() - make_interval(secs => (kiln.setting('worker_online_seconds'))::integer))
            as workers_online,
          (select count(*)::int from public.workers where revoked_at is null) as workers_total`,
      sql<{ type: string; queued: number; running: number }[]>`
        select j.type, count(*) filter (where j.status = 'queued')::int as queued,
               count(*) filter (where j.status = 'running')::int as running
          from (select job_id from kiln.job_queue union all select job_id from kiln.job_running) a
          join public.jobs j on j.id = a.job_id
         group by j.type order by j.type`,
    ]);
    const byStatus = zeroes();
    const byType = new Map<string, Record<JobStatus, number>>();
    for (const { type, status, n } of counts) {
      byStatus[status] += n;
      const row = byType.get(type) ?? zeroes();
      row[status] += n;
      byType.set(type, row);
    }
    const sum = (r: Record<JobStatus, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const ended = t.succeeded + t.failed;
    const ms = (v: number | null | undefined) => (v == null ? null : Math.round(Number(v) * 100) / 100);
    return c.json(
      {
        window: { from: t.from.toISOString(), to: t.to.toISOString(), hours },
        jobs: {
          total: sum(byStatus),
          by_status: byStatus,
          by_type: [...byType]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([type, r]) => ({ type, total: sum(r), by_status: r })),
        },
        success_rate: ended > 0 ? t.succeeded / ended : null,
        queue_wait_ms: { p50: ms(t.wait?.[0]), p95: ms(t.wait?.[1]) },
        run_time_ms: { p50: ms(t.run?.[0]), p95: ms(t.run?.[1]) },
        queue_depth: { queued: t.queued, claimable: t.claimable, running: t.running, by_type: depth },
        workers: { online: t.workers_online, total: t.workers_total },
      },
      200,
    );
  });
}
