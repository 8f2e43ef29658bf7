/**
 * Route middleware: who is calling (user JWT or API key), counting the call against their rate-limit budget,
 * and may they call this route (scope, admin). Sets `principal` for the handler.
 */
import type { MiddlewareHandler } from "hono";
import type { JWTPayload } from "jose";
import type postgres from "postgres";
import { fail } from "../../_shared/http/errors.ts";
import type { ApiEnv } from "../http/api_types.ts";
import { limitPrincipal, type PrincipalRateLimits, type RateBudget } from "../rate_limit/rate_limit.ts";
import type { ApiKeyCache } from "./api_key_cache.ts";
import { authenticateApiKey, isApiKey } from "./api_keys.ts";
import { accountRateLimitsOf, type Principal, SCOPES, type Scope } from "./principal.ts";

export interface Authenticator {
  sql: postgres.Sql;
  /** API-key rows this isolate has seen lately. */
  keyCache: ApiKeyCache;
  verifyJwt(token: string): Promise<JWTPayload>;
  /** The per-principal budgets every authenticated request is counted against. */
  rateLimits: PrincipalRateLimits;
}

/** The credentials a request carries: an API key, else a bearer token (a user's JWT). */
function credentials(headers: Headers): { apiKey?: string; bearer?: string } {
  const bearer = headers
    .get("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  return { apiKey: headers.get("x-api-key")?.trim() ?? (bearer && isApiKey(bearer) ? bearer : undefined), bearer };
}

/** The caller of this request, or a 401 naming what is wrong with their credentials. */
export async function authenticate(auth: Authenticator, headers: Headers): Promise<Principal> {
  const { apiKey, bearer } = credentials(headers);
  if (apiKey) return authenticateApiKey(auth.sql, auth.keyCache, apiKey);
  if (!bearer) fail("missing_credentials");
  const claims = await auth.verifyJwt(bearer);
  const [profile] = await auth.sql<
    { role: "user" | "admin"; rate_limit_read_per_minute: number | null; rate_limit_create_per_minute: number | null }[]
  >`
    select role, rate_limit_read_per_minute, rate_limit_create_per_minute
      from public.profiles where id = ${claims.sub as string}`;
  if (!profile) fail("invalid_token", "No account exists for this access token's user.");
  return {
    kind: "user",
    userId: claims.sub as string,
    role: profile.role,
    scopes: SCOPES,
    accountRateLimits: accountRateLimitsOf(profile),
  };
}

/**
 * Requires a caller, with `scope` (API keys) and, for admin routes, the admin role. The call spends one
 * request of the caller's `budget`: `create` for job creation, `read` (the default) for everything else.
 */
export function requireAuth(
  auth: Authenticator,
  need: { scope?: Scope; admin?: boolean; budget?: RateBudget } = {},
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = await authenticate(auth, c.req.raw.headers);
    await limitPrincipal(c, auth.rateLimits, principal, need.budget ?? "read");
    if (need.scope && !principal.scopes.includes(need.scope)) {
      fail("missing_scope", `This API key lacks the scope "${need.scope}".`, { required_scope: need.scope });
    }
    if (need.admin && principal.role !== "admin") fail("admin_required");
    c.set("principal", principal);
    await next();
  };
}
