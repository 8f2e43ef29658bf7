/**
 * The public API, as one Hono app. `index.ts` serves it under Deno on Supabase; the local stack and the tests
 * mount this same app.
 */
import { Hono } from "hono";
import { jwtVerify } from "jose";
import postgres from "postgres";
import type { FunctionEnv } from "../../../shared/function_env.ts";

export interface ApiDeps {
  env: FunctionEnv;
  sql: postgres.Sql;
  startedAt: number;
}

/** Opens what the app needs from its environment; `close()` releases it. */
export function apiDeps(env: FunctionEnv): ApiDeps & { close(): Promise<void> } {
  // prepare: false — hosted projects reach Postgres through the transaction pooler.
  const sql = postgres(env.SUPABASE_DB_URL, { prepare: false, max: 5, onnotice: () => {} });
  return { env, sql, startedAt: Date.now(), close: () => sql.end({ timeout: 5 }) };
}

export function newApp(deps: ApiDeps): Hono {
  const app = new Hono().basePath("/api");

  app.get("/health", async (c) => {
    await deps.sql`select 1`;
    return c.json({ status: "ok", database: "reachable", uptime_s: Math.round((Date.now() - deps.startedAt) / 1000) });
  });

  app.get("/v1/me", async (c) => {
    const token = c.req.header("authorization")?.replace(/^Bearer /i, "");
    const secret = deps.env.SUPABASE_JWT_SECRET;
    if (!token || !secret) return c.json({ error: { code: "unauthorized", message: "Sign in first." } }, 401);
    let sub: string | undefined;
    try {
      sub = (await jwtVerify(token, new TextEncoder().encode(secret), { audience: "authenticated" })).payload.sub;
    } catch {
      return c.json({ error: { code: "unauthorized", message: "The access token is not valid." } }, 401);
    }
    const [profile] = await deps.sql`select id, email, role, credits from public.profiles where id = ${sub ?? null}`;
    if (!profile) return c.json({ error: { code: "not_found", message: "No profile for this user." } }, 404);
    return c.json(profile);
  });

  return app;
}
