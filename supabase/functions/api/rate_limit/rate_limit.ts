/**
 * Rate-limit middleware. Every request is counted per client IP before authentication; every authenticated
 * request is also counted per principal (API key, or user for a JWT) in one of two budgets: `create` (job
 * creation) or `read` (everything else). A key's own `rate_limit_per_minute` replaces the defaults.
 * Each limited response carries RateLimit-Limit/-Remaining/-Reset of the tightest budget; a 429 adds Retry-After.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type ClientIpSource, clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { Principal } from "../auth/principal.ts";
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

/** The default per-minute limit of `budget`, for principals without a limit of their own. */
export function defaultLimit(limits: PrincipalRateLimits, budget: RateBudget): number {
  return budget === "create" ? limits.createPerMinute : limits.readPerMinute;
}

/** Counts an authenticated request against the principal's `budget`; throws rate_limited when it is spent. */
export async function limitPrincipal(
  c: Context<ApiEnv>,
  limits: PrincipalRateLimits,
  principal: Principal,
  budget: RateBudget,
): Promise<void> {
  const who = principal.apiKeyId ? `key:${principal.apiKeyId}` : `user:${principal.userId}`;
  const result = await limits.limiter.limit(
    `${who}:${budget}`,
    principal.rateLimitPerMinute ?? defaultLimit(limits, budget),
    WINDOW_SECONDS,
  );
  applyLimit(c, result, budget);
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
