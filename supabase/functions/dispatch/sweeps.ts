/**
 * The maintenance the dispatcher runs besides delivery, all in kiln.run_sweeps: expired leases back to the queue,
 * deadlines, and retention (job events, finished deliveries, broadcast messages, rate-limit windows). Each part runs
 * at most once per its interval across every dispatcher, so calling this on every cron tick costs one round trip.
 */
import type postgres from "postgres";

/** What each part did, by name (`reaped`, `deadlines_expired`, `pruned`); parts that were not due are absent. */
export type SweepResult = Record<string, unknown>;

export async function runSweeps(
  sql: postgres.Sql,
  options: { force?: boolean; now?: Date } = {},
): Promise<SweepResult> {
  const [row] = await sql<{ r: SweepResult }[]>`
    select kiln.run_sweeps(${options.now ?? null}::timestamptz, ${options.force ?? false}::boolean) as r`;
  return row.r;
}
