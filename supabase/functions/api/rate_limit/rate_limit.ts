/**
 * Rate-limit middleware. Every request is counted per client IP before authentication; every authenticated
 * request is also counted against its account's budget, one of two: `create` (job creation) or `read` (everything
 * else), shared by the account's sessions and all its keys (an admin may set an account's own; else the defaults).
 * A key with its own `rate_limit_per_minute` is also counted on its own, at that limit: it can only lower what the
 * account allows, never raise it.
 * Each limited response carries RateLimit-Limit/-Remaining/-Reset of the tightest budget; a 429 adds Retry-After.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type ClientIpSource, clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { AccountRateLimits, Principal } from "../auth/principal.ts";
import type { ApiEnv } from "../http/api_types.ts";
import type { LimitResult, RateLimiter } from "./rate_limiter.ts";

/** Which per-principal budget a route spends: job creation, or everything else. */
export type RateBudget = "read" | "create";

/** The limiter and the per-minute defaults of the per-principal budgets. */
export interface PrincipalRateLimits {
  limiter: RateLimiter;
  readPerMinute: number;
  createPerMinute: number;
}

/** The window of every budget, seconds. */
export const WINDOW_SECONDS = 60;
/** The budget whose headers a response shows so far (the one with the fewest requests left). */
const shown = new WeakMap<Context<ApiEnv>, LimitResult>();

/**
 * Middleware: counts the request against its client IP's budget (`ip:<address>`). Calls with no forwarded
 * address (direct calls on the local stack) share the budget `ip:unknown`.
 */
export function ipRateLimit(
  limiter: RateLimiter,
  perMinute: number,
  source: ClientIpSource,
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.method !== "OPTIONS")
      await spend(c, limiter, `ip:${clientIp(c.req.raw.headers, source) ?? "unknown"}`, perMinute, "ip");
    await next();
  };
}

/** The account's per-minute limit of `budget`: its own (set by an admin), else the deployment's default. */
export function accountLimit(limits: PrincipalRateLimits, account: AccountRateLimits, budget: RateBudget): number {
  return account[budget] ?? (budget === "create" ? limits.createPerMinute : limits.readPerMinute);
}

/** The account's per-minute limit of each budget. */
export function accountBudgets(limits: PrincipalRateLimits, account: AccountRateLimits): Record<RateBudget, number> {
  return { read: accountLimit(limits, account, "read"), create: accountLimit(limits, account, "create") };
}

/** What a key may spend per minute of `budget`: its own limit, clamped to the account's. */
export function keyLimit(keyPerMinute: number | undefined, account: number): number {
  return Math.min(keyPerMinute ?? account, account);
}

/**
 * Counts an authenticated request against its key's own limit (when it has one below the account's), then the
 * account's `budget`; throws rate_limited when either is spent. The key comes first, so a key out of requests
 * does not spend its account's.
 */
export async function limitPrincipal(
  c: Context<ApiEnv>,
  limits: PrincipalRateLimits,
  principal: Principal,
  budget: RateBudget,
): Promise<void> {
  const account = accountLimit(limits, principal.accountRateLimits, budget);
  if (principal.apiKeyId && principal.rateLimitPerMinute !== undefined && principal.rateLimitPerMinute < account) {
    const own = await limits.limiter.limit(
      `key:${principal.apiKeyId}:${budget}`,
      principal.rateLimitPerMinute,
      WINDOW_SECONDS,
    );
    applyLimit(c, own, budget);
  }
  applyLimit(c, await limits.limiter.limit(`account:${principal.userId}:${budget}`, account, WINDOW_SECONDS), budget);
}

async function spend(
  c: Context<ApiEnv>,
  limiter: RateLimiter,
  key: string,
  perMinute: number,
  budget: RateBudget | "ip",
): Promise<void> {
  applyLimit(c, await limiter.limit(key, perMinute, WINDOW_SECONDS), budget);
}

/**
 * Shows `result` in the RateLimit-* headers when it is the tightest budget so far; throws rate_limited (with
 * Retry-After) when it refused the request.
 */
export function applyLimit(c: Context<ApiEnv>, result: LimitResult, budget: RateBudget | "ip"): void {
  const current = shown.get(c);
  if (!result.success || !current || result.remaining < current.remaining) {
    shown.set(c, result);
    c.header("RateLimit-Limit", String(result.limit));
    c.header("RateLimit-Remaining", String(Math.max(0, result.remaining)));
    c.header("RateLimit-Reset", String(secondsUntil(result.reset)));
  }
  if (!result.success) {
    const reset = secondsUntil(result.reset);
    c.header("Retry-After", String(reset));
    fail(
      "rate_limited",
      `Too many requests for this ${budget === "ip" ? "address" : `${budget} budget`}; retry in ${reset} s.`,
      {
        limit: result.limit,
        reset,
        budget,
      },
    );
  }
}

/** Whole seconds until `resetMs` (unix ms), at least 1 so a client never retries at once. */
function secondsUntil(resetMs: number): number {
  return Math.max(1, Math.ceil((resetMs - Date.now()) / 1000));
}
