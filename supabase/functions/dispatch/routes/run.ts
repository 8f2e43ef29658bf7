/**
 * POST /dispatch/run: send what is due, then (unless `sweeps: false`) run the sweeps; answers what was done.
 * `wait: false` answers 202 at once and does the work in the background (kicks do this: the kicking function
 * should not wait for receivers). Called by pg_cron through pg_net every 10 s, by kicks, and by the local stack.
 */
import { z } from "zod";
import { KilnError } from "../../../../shared/errors.ts";
import { fieldErrors } from "../../api/http/errors.ts";
import { waitUntil } from "../background.ts";
import type { DeliveryCounts } from "../delivery/dispatcher.ts";
import type { DispatchDeps } from "../deps.ts";
import type { DispatchApp } from "../http/dispatch_types.ts";
import { runSweeps, type SweepResult } from "../sweeps.ts";

const RunBody = z.strictObject({
  /** Run the sweeps too (default true). */
  sweeps: z.boolean().optional(),
  /** Wait for the work and answer its counts (default true). */
  wait: z.boolean().optional(),
  /** Who calls (`cron`, `kick`, `loop`…), for the log line. */
  source: z.string().max(40).optional(),
});

export interface RunReport {
  deliveries: DeliveryCounts;
  sweeps: SweepResult | null;
  duration_ms: number;
}

/** One dispatcher run: the sweeps first (a reaped job's events are then sent in this same run), then delivery. */
export async function dispatchOnce(deps: DispatchDeps, options: { sweeps?: boolean } = {}): Promise<RunReport> {
  const started = performance.now();
  const sweeps = options.sweeps === false ? null : await runSweeps(deps.sql);
  const deliveries = await deps.dispatcher.run();
  return { deliveries, sweeps, duration_ms: Math.round(performance.now() - started) };
}

export function registerRun(app: DispatchApp, deps: DispatchDeps): void {
  app.post("/run", async (c) => {
    const text = await c.req.text();
    let json: unknown = {};
    if (text.trim() !== "") {
      try {
        json = JSON.parse(text);
      } catch {
        throw new KilnError("invalid_json", "The body is not valid JSON.");
      }
    }
    const parsed = RunBody.safeParse(json);
    if (!parsed.success) {
      throw new KilnError("validation_failed", "The body is not valid.", fieldErrors(parsed.error.issues));
    }
    const run = dispatchOnce(deps, { sweeps: parsed.data.sweeps });
    if (parsed.data.wait === false) {
      waitUntil(run.catch((error) => deps.log({ level: "error", msg: "dispatch run failed", error: String(error) })));
      return c.json({ accepted: true }, 202);
    }
    return c.json(await run, 200);
  });
}
