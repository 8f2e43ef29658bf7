/** Rate limiting behind one interface: Upstash Redis when configured, else the Postgres fallback. */

export interface LimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when the window resets. */
  reset: number;
}

export interface RateLimiter {
  /** Counts one request for `key` against `limit` per `windowSeconds`. */
  limit(key: string, limit: number, windowSeconds: number): Promise<LimitResult>;
  /** Finishes what the limiter still owes its store (hits not yet sent); called once, before the pool closes. */
  close(): Promise<void>;
}
