/**
 * For API tests: the local stack on a database of its own (see scripts/testing/test_stack.ts), users with
 * access tokens, API keys with chosen scopes, and a `call` that speaks to /functions/v1/api over HTTP.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import postgres from "postgres";
import { LOCAL_JWT_SECRET } from "../../../../scripts/local/jwt_keys.ts";
import { type StackTarget, startLocalTarget } from "../../../../scripts/testing/test_stack.ts";
import { newApiKey } from "../auth/api_keys.ts";
import type { Scope } from "../auth/principal.ts";

export interface TestUser {
  id: string;
  email: string;
  /** A valid access token (1 h). */
  token: string;
}

export interface ApiHarness {
  target: StackTarget;
  /** Owner connection to the stack's database, for setup and for checking effects. */
  sql: postgres.Sql;
  /** A new user (profile with the signup grant) and an access token. */
  user(options?: { admin?: boolean; credits?: number }): Promise<TestUser>;
  /** A new API key of `user` with `scopes`; returns the secret. */
  apiKey(
    user: TestUser,
    scopes: Scope[],
    options?: { expiresAt?: Date; revoked?: boolean; ratePerMinute?: number },
  ): Promise<string>;
  /** Signs an access token for `sub` with extra/overridden claims (expired ones, other issuers…). */
  token(sub: string, claims?: Record<string, unknown>, expiresInSeconds?: number): Promise<string>;
  /** HTTP to `/functions/v1/api<path>`; `auth` is a token or API key sent as Bearer. */
  call(method: string, path: string, init?: CallInit): Promise<Response>;
  close(): Promise<void>;
}

/** What a test sends to a function: a token or key (sent as Bearer), a body (JSON unless a string), headers. */
export interface CallInit {
  auth?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** HTTP to `/functions/v1/<name><path>` of `target`. */
export function callFunction(
  target: StackTarget,
  name: string,
  method: string,
  path: string,
  init: CallInit = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth) headers.authorization = `Bearer ${init.auth}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  return fetch(`${target.url}/functions/v1/${name}${path}`, { method, headers, body, signal: init.signal });
}

/** The harness on a fresh local stack; `options` as startLocalTarget's (function environment, a resolver). */
export async function startApiHarness(options: Parameters<typeof startLocalTarget>[0] = {}): Promise<ApiHarness> {
  const target = await startLocalTarget(options);
  const sql = postgres(target.dbUrl, { max: 2, onnotice: () => {} });
  const secret = new TextEncoder().encode(LOCAL_JWT_SECRET);
  const token = (sub: string, claims: Record<string, unknown> = {}, expiresInSeconds = 3600) =>
    new SignJWT({ sub, role: "authenticated", aud: "authenticated", iss: `${target.url}/auth/v1`, ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .sign(secret);
  return {
    target,
    sql,
    token,
    async user(options = {}) {
      const id = randomUUID();
      const email = `${id}@example.test`;
      await sql`insert into auth.users (id, email) values (${id}, ${email})`;
      if (options.admin) await sql`update public.profiles set role = 'admin' where id = ${id}`;
      if (options.credits !== undefined) {
        await sql`select kiln.post_credits(${id}, ${options.credits - 3000}, 'admin_grant') where ${options.credits} <> 3000`;
      }
      return { id, email, token: await token(id, { email }) };
    },
    async apiKey(user, scopes, options = {}) {
      const { key, prefix, hash } = newApiKey();
      await sql`
        insert into public.api_keys (owner_id, name, prefix, secret_hash, scopes, expires_at, revoked_at, rate_limit_per_minute)
        values (${user.id}, 'test key', ${prefix}, ${hash}, ${scopes}, ${options.expiresAt ?? null},
                ${options.revoked ? new Date() : null}, ${options.ratePerMinute ?? null})`;
      return key;
    },
    call: (method, path, init) => callFunction(target, "api", method, path, init),
    async close() {
      await sql.end({ timeout: 5 });
      await target.stop();
    },
  };
}
