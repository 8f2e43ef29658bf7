/**
 * The API's configuration, from the function's environment (validated once, at start). Supabase's own
 * variables come first; Kiln's have defaults that suit a local stack.
 */
import { z } from "zod";
import {
  ClientIpEnv,
  csv,
  FunctionEnv,
  InputTargetEnv,
  parseFunctionEnv,
  positiveInt,
  WebhookTargetEnv,
} from "../_shared/function_env.ts";

export const ApiConfigSchema = FunctionEnv.extend({
  ...WebhookTargetEnv,
  ...InputTargetEnv,
  ...ClientIpEnv,
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
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
});
export type ApiConfig = z.infer<typeof ApiConfigSchema>;

/** Parses the environment or throws one Error naming every bad variable. */
export function parseApiConfig(env: Record<string, string | undefined>): ApiConfig {
  return parseFunctionEnv(ApiConfigSchema, env, "API");
}
