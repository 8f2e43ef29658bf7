/**
 * The API's configuration, from the function's environment (validated once, at start). Supabase's own
 * variables come first; Kiln's have defaults that suit a local stack.
 */
import { z } from "zod";
import { FunctionEnv, parseFunctionEnv } from "../../../shared/function_env.ts";

const csv = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);
const positiveInt = z.coerce.number().int().positive();

export const ApiConfigSchema = FunctionEnv.extend({
  /** Where the web dashboard lives (its API reference page, for GET /docs). */
  KILN_DASHBOARD_URL: z.url().optional(),
  /** Origins allowed by CORS, comma-separated; `*` allows any. */
  KILN_CORS_ORIGINS: csv.default(["*"]),
  /** Requests per minute per principal for reads, and for job creation (separate budgets). */
  KILN_RATE_LIMIT_READ_PER_MINUTE: positiveInt.default(600),
  KILN_RATE_LIMIT_CREATE_PER_MINUTE: positiveInt.default(60),
  /** Requests per minute per client IP, before authentication. */
  KILN_RATE_LIMIT_IP_PER_MINUTE: positiveInt.default(1200),
  /**
   * How often the Postgres limiter sends the hits this isolate admitted (ms). Isolates see each other's hits
   * this late, so together they may admit up to this long's worth of extra requests.
   */
  KILN_RATE_LIMIT_SYNC_MS: positiveInt.default(250),
  /**
   * How long an isolate keeps an API key's row (s; 0 = never). A key revoked or changed in another isolate
   * keeps working there this long; the isolate that revokes it forgets it at once.
   */
  KILN_API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).default(5),
  /**
   * How old a queue position may be (ms; 0 = counted for every request). Positions come from a per-isolate
   * snapshot of each type's claim order, refreshed when older than this.
   */
  KILN_QUEUE_POSITION_MAX_AGE_MS: z.coerce.number().int().min(0).default(1000),
  /** How long an Upstash check may take before the request is let through (fail open, with a log line). */
  KILN_RATE_LIMIT_TIMEOUT_MS: positiveInt.default(500),
  /** Signed output URLs last this long. */
  KILN_OUTPUT_URL_EXPIRY_SECONDS: positiveInt.default(3600),
  /** Hosts whose job webhooks may use plain http (local receivers, tests), comma-separated; others need https. */
  KILN_WEBHOOK_HTTP_ALLOW: csv.default([]),
  /**
   * Hosts whose webhooks may resolve to private, loopback or link-local addresses, comma-separated. Unset: the
   * http allow-list (a host trusted for plain http is a local receiver, on a private address).
   */
  KILN_WEBHOOK_PRIVATE_ALLOW: z.string().optional(),
  /**
   * The dispatcher's secret (Authorization: Bearer …). Set: a job transition or a replay kicks the dispatcher at
   * once; unset: deliveries wait for its next scheduled run.
   */
  KILN_DISPATCH_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  /** Largest request body. */
  KILN_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
});
export type ApiConfig = z.infer<typeof ApiConfigSchema>;

/** Parses the environment or throws one Error naming every bad variable. */
export function parseApiConfig(env: Record<string, string | undefined>): ApiConfig {
  return parseFunctionEnv(ApiConfigSchema, env, "API");
}
