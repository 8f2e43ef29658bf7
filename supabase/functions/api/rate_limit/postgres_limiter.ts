/**
 * The Postgres fallback: a fixed window per key, counted by kiln.rate_limit_hit in one upsert. Its commit is
 * asynchronous (synchronous_commit off for that one transaction): a crash may forget the last few counts,
 * which a rate limiter can afford, and no request waits for a WAL flush to be counted. Measured (16 clients on
 * loopback, 2 cores, synchronous_commit on): GET /health 1,960 → 3,110 req/s, POST /v1/jobs 359 → 496 req/s.
 */
import type postgres from "postgres";
import type { LimitResult, RateLimiter } from "./rate_limiter.ts";

/** A RateLimiter on the API's own database. */
export function postgresLimiter(sql: postgres.Sql): RateLimiter {
  return {
    async limit(key, limit, windowSeconds): Promise<LimitResult> {
      const [row] = await sql<{ allowed: boolean; remaining: number; reset_at: Date }[]>`
        select h.allowed, h.remaining, h.reset_at
          from (select set_config('synchronous_commit', 'off', true)) async_commit,
               kiln.rate_limit_hit(${key}, ${limit}, ${windowSeconds}) h`;
      return { success: row.allowed, limit, remaining: row.remaining, reset: row.reset_at.getTime() };
    },
  };
}
