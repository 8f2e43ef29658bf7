/**
 * The Edge Functions the gateway serves at /functions/v1/<name>/…: the same app modules Deno serves in
 * production, given the environment Supabase gives functions.
 */
import { parseFunctionEnv } from "../../shared/function_env.ts";
import { apiDeps, newApp as newApiApp } from "../../supabase/functions/api/app.ts";

export interface ServedFunction {
  fetch(request: Request): Response | Promise<Response>;
  close(): Promise<void>;
}

/** Every function by name, built from `env` (SUPABASE_URL, SUPABASE_DB_URL, keys…). */
export function serveFunctions(env: Record<string, string | undefined>): Map<string, ServedFunction> {
  const parsed = parseFunctionEnv(env);
  const api = apiDeps(parsed);
  return new Map<string, ServedFunction>([["api", { fetch: newApiApp(api).fetch, close: api.close }]]);
}
