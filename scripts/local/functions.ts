/**
 * The Edge Functions the gateway serves at /functions/v1/<name>/…: the same app modules Deno serves in
 * production, given the environment Supabase gives functions (the same for every function).
 */

import { DISPATCH_CHANNEL } from "../../shared/channels.ts";
import type { HostResolver } from "../../shared/net/url_policy.ts";
import type { LogLine } from "../../supabase/functions/_shared/http/request_context.ts";
import { newApp as newApiApp } from "../../supabase/functions/api/app.ts";
import { ApiConfigSchema } from "../../supabase/functions/api/config.ts";
import { apiDeps } from "../../supabase/functions/api/deps.ts";
import { newApp as newDispatchApp } from "../../supabase/functions/dispatch/app.ts";
import { DispatchConfigSchema } from "../../supabase/functions/dispatch/config.ts";
import { dispatchDeps } from "../../supabase/functions/dispatch/deps.ts";
import { dispatchOnce } from "../../supabase/functions/dispatch/dispatch_once.ts";
import { newApp as newWorkersApp } from "../../supabase/functions/workers/app.ts";
import { WorkersConfigSchema } from "../../supabase/functions/workers/config.ts";
import { workersDeps } from "../../supabase/functions/workers/deps.ts";
import { DispatchLoop } from "./dispatch_loop.ts";

export interface ServedFunction {
  fetch(request: Request): Response | Promise<Response>;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Run the dispatcher as a loop too. */
  dispatchLoop?: boolean;
  /**
   * Let the api and workers functions kick the dispatcher after a job transition (they get KILN_DISPATCH_SECRET).
   * Off, a kick's background send cannot outlive a test that never asked for deliveries.
   */
  kicks?: boolean;
  /** The resolver of the webhook SSRF checks (api and dispatch); the system's DNS by default. */
  resolver?: HostResolver;
}

/** What the stack gives the functions itself: Supabase's variables, its JWT secret and its dispatch secret. */
const SUPPLIED = /^(SUPABASE_|KILN_JWT_SECRET$|KILN_DISPATCH_SECRET$)/;

/** The variables of `env` that some function reads (its config schema names them), less what the stack supplies. */
export function functionSettings(env: Record<string, string | undefined>): Record<string, string> {
  const names = new Set(
    [ApiConfigSchema, WorkersConfigSchema, DispatchConfigSchema].flatMap((schema) => Object.keys(schema.shape)),
  );
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => names.has(entry[0]) && !SUPPLIED.test(entry[0]) && entry[1] !== undefined,
    ),
  );
}

/**
 * Every function by name, built from `env` (SUPABASE_URL, SUPABASE_DB_URL, keys…). With `dispatchLoop`, the
 * dispatcher also runs as a loop (scripts/local/dispatch_loop.ts), standing in for pg_cron.
 */
export function serveFunctions(
  env: Record<string, string | undefined>,
  log?: LogLine,
  options: ServeOptions = {},
): Map<string, ServedFunction> {
  const kickerEnv = options.kicks ? env : { ...env, KILN_DISPATCH_SECRET: undefined };
  const api = apiDeps(kickerEnv, log, { resolver: options.resolver });
  const workers = workersDeps(kickerEnv, log);
  const dispatch = dispatchDeps(env, { log, resolver: options.resolver });
  const loop = options.dispatchLoop
    ? new DispatchLoop({
        runOnce: (sweeps) => dispatchOnce(dispatch, { sweeps }),
        listen: async (wake) => (await dispatch.sql.listen(DISPATCH_CHANNEL, wake)).unlisten,
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
