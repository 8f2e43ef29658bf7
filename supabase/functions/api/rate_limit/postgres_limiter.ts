/** The Postgres fallback: a fixed window per key, counted by kiln.rate_limit_hit in one upsert. */
import type postgres from "postgres";
import type { LimitResult, RateLimiter } from "./rate_limiter.ts";

export function postgresLimiter(sql: postgres.Sql): RateLimiter {
  return {
    async limit(key, limit, windowSeconds): Promise<LimitResult> {
      const [row] = await sql<{ allowed: boolean; remaining: number; reset_at: Date }[]>`
        select allowed, remaining, reset_at from kiln.rate_limit_hit(${key}, ${limit}, ${windowSeconds})`;
      return { success: row.allowed, limit, remaining: row.remaining, reset: row.reset_at.getTime() };
    },
  };
}
