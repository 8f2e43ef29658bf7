/** The Postgres fallback limiter (no UPSTASH_* set) through the whole app. */
import { describe } from "node:test";
import { rateLimitSuite } from "./rate_limit_suite.ts";

describe("rate limits on the Postgres fallback", () => {
  rateLimitSuite(() => ({}));
});
