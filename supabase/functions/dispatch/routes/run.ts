/**
 * POST /dispatch/run: run the sweeps (unless `sweeps: false`), then send what is due; answers what was done, and
 * logs it with the caller's `source`. `wait: false` answers 202 at once and does the work in the background
 * (kicks do this: the kicking function should not wait for receivers). Called by pg_cron through pg_net every
 * 10 s and by kicks.
 */
import { z } from "zod";
import { KilnError } from "../../../../shared/errors.ts";
import { fieldErrors } from "../../_shared/http/errors.ts";
import { waitUntil } from "../../_shared/wait_until.ts";
import type { DispatchDeps } from "../deps.ts";
import { dispatchOnce } from "../dispatch_once.ts";
import type { DispatchApp } from "../http/dispatch_types.ts";

const RunBody = z.strictObject({
  /** Run the sweeps too (default true). */
  sweeps: z.boolean().optional(),
  /** Wait for the work and answer its counts (default true). */
  wait: z.boolean().optional(),
  /** Who calls (`cron`, `kick`…), for the log line. */
  source: z.string().max(40).optional(),
});

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
    const { sweeps, wait, source } = parsed.data;
    const run = dispatchOnce(deps, { sweeps }).then(
      (report) => {
        deps.log({ level: "info", msg: "dispatch run", source: source ?? null, ...report });
        return report;
      },
      (error) => {
        deps.log({ level: "error", msg: "dispatch run failed", source: source ?? null, error: String(error) });
        throw error;
      },
    );
    if (wait === false) {
      waitUntil(run);
      return c.json({ accepted: true }, 202);
    }
    return c.json(await run, 200);
  });
}
