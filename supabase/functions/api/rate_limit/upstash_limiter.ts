/**
 * Rate limits in Upstash Redis: @upstash/ratelimit's sliding window, one Ratelimit per (limit, window) kept for
 * the isolate's life, so its ephemeral cache answers callers that are already blocked without a round trip.
 * Redis being slow or down never fails a request: past `timeoutMs` (or on an error) the request is allowed
 * and one log line says so.
 */
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import type { LogLine } from "../../_shared/http/request_context.ts";
import type { LimitResult, RateLimiter } from "./rate_limiter.ts";

export interface UpstashLimiterOptions {
  url: string;
  token: string;
  /** How long a check may take before the request is let through. */
  timeoutMs: number;
  log: LogLine;
}

/** A RateLimiter over the Upstash REST API (or a compatible proxy). */
export function upstashLimiter(options: UpstashLimiterOptions): RateLimiter {
  // One retry at most: past the timeout the answer is no longer waited for anyway.
  const redis = new Redis({
    url: options.url,
    token: options.token,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 50 },
  });
  const limiters = new Map<string, Ratelimit>();
  const limiterFor = (limit: number, windowSeconds: number): Ratelimit => {
    const id = `${limit}/${windowSeconds}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(limit, `${windowSeconds} s`),
        prefix: `kiln:rl:${id}`,
        timeout: options.timeoutMs,
        analytics: false,
      });
      limiters.set(id, limiter);
    }
    return limiter;
  };
  const allowed = (limit: number, windowSeconds: number, reason: string, error?: unknown): LimitResult => {
    options.log({
      level: "warn",
      msg: "rate limiter unavailable; request allowed",
      limiter: "upstash",
      reason,
      ...(error ? { error: error instanceof Error ? error.message.slice(0, 200) : String(error) } : {}),
    });
    return { success: true, limit, remaining: limit, reset: Date.now() + windowSeconds * 1000 };
  };
  return {
    async limit(key, limit, windowSeconds): Promise<LimitResult> {
      try {
        const result = await limiterFor(limit, windowSeconds).limit(key);
        if (result.reason === "timeout") return allowed(limit, windowSeconds, "timeout");
        return { success: result.success, limit: result.limit, remaining: result.remaining, reset: result.reset };
      } catch (error) {
        return allowed(limit, windowSeconds, "error", error);
      }
    },
    // Every hit was sent when it was made.
    async close() {},
  };
}
