/**
 * One dispatcher pass, as every caller runs it (the run route for pg_cron and kicks, the local stack's loop): the
 * sweeps first, so a job the reaper re-queued has its events sent in this same pass, then delivery until nothing
 * is due.
 */
import type { DeliveryCounts } from "./delivery/dispatcher.ts";
import type { DispatchDeps } from "./deps.ts";
import { runSweeps, type SweepResult } from "./sweeps.ts";

export interface RunReport {
  deliveries: DeliveryCounts;
  /** Null when the pass skipped them (`sweeps: false`). */
  sweeps: SweepResult | null;
  duration_ms: number;
}

export async function dispatchOnce(deps: DispatchDeps, options: { sweeps?: boolean } = {}): Promise<RunReport> {
  const started = performance.now();
  const sweeps = options.sweeps === false ? null : await runSweeps(deps.sql);
  const deliveries = await deps.dispatcher.run();
  return { deliveries, sweeps, duration_ms: Math.round(performance.now() - started) };
}
