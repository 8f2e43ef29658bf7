/**
 * The Edge Functions the gateway serves at /functions/v1/<name>/…: the same app modules Deno serves in
 * production, given the environment Supabase gives functions (the same for every function).
 */
import { newApp as newApiApp } from "../../supabase/functions/api/app.ts";
import { apiDeps } from "../../supabase/functions/api/deps.ts";
import type { LogLine } from "../../supabase/functions/api/http/request_context.ts";
import { newApp as newDispatchApp } from "../../supabase/functions/dispatch/app.ts";
import { dispatchDeps } from "../../supabase/functions/dispatch/deps.ts";
import { dispatchOnce } from "../../supabase/functions/dispatch/dispatch_once.ts";
import { newApp as newWorkersApp } from "../../supabase/functions/workers/app.ts";
import { workersDeps } from "../../supabase/functions/workers/deps.ts";
import { DispatchLoop } from "./dispatch_loop.ts";

export interface ServedFunction {
  fetch(request: Request): Response | Promise<Response>;
  close(): Promise<void>;
}

/**
 * Every function by name, built from `env` (SUPABASE_URL, SUPABASE_DB_URL, keys…). With `dispatchLoop`, the
 * dispatcher also runs as a loop (scripts/local/dispatch_loop.ts), standing in for pg_cron.
 */
export function serveFunctions(
  env: Record<string, string | undefined>,
  log?: LogLine,
  options: { dispatchLoop?: boolean } = {},
): Map<string, ServedFunction> {
  const api = apiDeps(env, log);
  const workers = workersDeps(env, log);
  const dispatch = dispatchDeps(env, { log });
  const loop = options.dispatchLoop
    ? new DispatchLoop({
        runOnce: (sweeps) => dispatchOnce(dispatch, { sweeps }),
        listen: async (wake) => (await dispatch.sql.listen("kiln_dispatch", wake)).unlisten,
        log: dispatch.log,
      })
    : undefined;
  loop?.start().catch((error) => dispatch.log({ level: "error", msg: "dispatch loop failed", error: String(error) }));
  return new Map<string, ServedFunction>([
    ["api", { fetch: newApiApp(api).fetch, close: api.close }],
    ["workers", { fetch: newWorkersApp(workers).fetch, close: workers.close }],
    [
      "dispatch",
      {
        fetch: newDispatchApp(dispatch).fetch,
        close: async () => {
          await loop?.stop();
          await dispatch.close();
        },
      },
    ],
  ]);
}
