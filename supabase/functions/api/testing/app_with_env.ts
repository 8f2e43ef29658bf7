/**
 * For tests that need the API with settings of their own (rate limits, Upstash): the very app `index.ts`
 * serves, built in-process on a harness's database and JWT issuer with extra environment, called through
 * `app.request` (no socket). Log lines are kept for assertions.
 */
import { LOCAL_JWT_SECRET } from "../../../../scripts/local/jwt_keys.ts";
import { newApp } from "../app.ts";
import { apiDeps } from "../deps.ts";
import type { ApiHarness } from "./api_harness.ts";

export interface AppWithEnv {
  /** A request to `/api<path>`; `auth` is sent as Bearer. */
  call(
    method: string,
    path: string,
    init?: { auth?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Every log line the app wrote. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The API app on `harness`'s database, with `env` added to the environment the stack gives functions (undefined: left out). */
export function appWithEnv(harness: ApiHarness, env: Record<string, string | undefined>): AppWithEnv {
  const logs: Record<string, unknown>[] = [];
  const deps = apiDeps(
    {
      SUPABASE_URL: harness.target.url,
      SUPABASE_DB_URL: harness.target.functionsDbUrl,
      KILN_JWT_SECRET: LOCAL_JWT_SECRET,
      ...env,
    },
    (entry) => logs.push(entry),
  );
  const app = newApp(deps);
  return {
    logs,
    call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.auth) headers.authorization = `Bearer ${init.auth}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers["content-type"] ??= "application/json";
      }
      return Promise.resolve(app.request(`/api${path}`, { method, headers, body }));
    },
    close: () => deps.close(),
  };
}
