/**
 * The Edge Functions the gateway serves at /functions/v1/<name>/…: the same app modules Deno serves in
 * production, given the environment Supabase gives functions.
 */
import { newApp as newApiApp } from "../../supabase/functions/api/app.ts";
import { apiDeps } from "../../supabase/functions/api/deps.ts";
import type { LogLine } from "../../supabase/functions/api/http/request_context.ts";

export interface ServedFunction {
  fetch(request: Request): Response | Promise<Response>;
  close(): Promise<void>;
}

/** Every function by name, built from `env` (SUPABASE_URL, SUPABASE_DB_URL, keys…). */
export function serveFunctions(env: Record<string, string | undefined>, log?: LogLine): Map<string, ServedFunction> {
  const api = apiDeps(env, log);
  return new Map<string, ServedFunction>([["api", { fetch: newApiApp(api).fetch, close: api.close }]]);
}
