/**
 * What the API needs, built once per isolate from its environment: configuration, a Postgres pool
 * (`prepare: false` for the transaction pooler), the JWT verifier with its JWKS cache, and the rate limiter:
 * Upstash Redis when UPSTASH_REDIS_REST_URL and _TOKEN are set, else the Postgres fallback.
 */
import type postgres from "postgres";
import { systemResolver } from "../../../shared/net/dns_resolver.ts";
import type { HostResolver } from "../../../shared/net/url_policy.ts";
import { KILN_VERSION } from "../../../shared/version.ts";
import { functionPool } from "../_shared/database_pool.ts";
import { type LogLine, stdoutLog } from "../_shared/http/request_context.ts";
import { apiKeyCache } from "./auth/api_key_cache.ts";
import type { Authenticator } from "./auth/require_auth.ts";
import { jwtMode, jwtVerifier } from "./auth/verify_jwt.ts";
import { type ApiConfig, parseApiConfig } from "./config.ts";
import { type QueuePositions, queuePositions } from "./jobs/queue_positions.ts";
import { claimerWaker, type WakeClaimers } from "./jobs/wake_claimers.ts";
import { postgresLimiter } from "./rate_limit/postgres_limiter.ts";
import type { RateLimiter } from "./rate_limit/rate_limiter.ts";
import { upstashLimiter } from "./rate_limit/upstash_limiter.ts";

export interface ApiDeps {
  config: ApiConfig;
  sql: postgres.Sql;
  auth: Authenticator;
  limiter: RateLimiter;
  /** Places jobs in their queues (per-isolate snapshots of the claim order). */
  positions: QueuePositions;
  /** NOTIFYs long-polling claimers of a type after a create commits (coalesced per type). */
  wakeClaimers: WakeClaimers;
  /** Answers webhook hosts for the SSRF check at registration (the system's DNS; tests pass their own). */
  resolver: HostResolver;
  startedAt: number;
  version: string;
  log: LogLine;
}

export { KILN_VERSION };

/** Opens what the app needs from `env`; `close()` releases it. */
export function apiDeps(
  env: Record<string, string | undefined>,
  log: LogLine = stdoutLog,
  overrides: { resolver?: HostResolver } = {},
): ApiDeps & { close(): Promise<void> } {
  const config = parseApiConfig(env);
  const sql = functionPool(config);
  const verifyJwt = jwtVerifier({ issuer: `${config.SUPABASE_URL}/auth/v1`, secret: config.KILN_JWT_SECRET });
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config;
  const limiter =
    url && token
      ? upstashLimiter({
          url,
          token,
          timeoutMs: config.KILN_RATE_LIMIT_TIMEOUT_MS,
          log,
        })
      : postgresLimiter(sql, { syncMs: config.KILN_RATE_LIMIT_SYNC_MS, log });
  log({
    level: "info",
    msg: "api started",
    version: KILN_VERSION,
    ...jwtMode(config),
    database: config.KILN_DB_URL ? "KILN_DB_URL" : "SUPABASE_DB_URL",
    db_pool_size: config.KILN_DB_POOL_SIZE,
    rate_limiter: url && token ? "upstash" : "postgres",
  });
  const rateLimits = {
    limiter,
    readPerMinute: config.KILN_RATE_LIMIT_READ_PER_MINUTE,
    createPerMinute: config.KILN_RATE_LIMIT_CREATE_PER_MINUTE,
  };
  return {
    config,
    sql,
    auth: { sql, keyCache: apiKeyCache(config.KILN_API_KEY_CACHE_SECONDS * 1000), verifyJwt, rateLimits },
    limiter,
    positions: queuePositions(sql, { maxAgeMs: config.KILN_QUEUE_POSITION_MAX_AGE_MS }),
    wakeClaimers: claimerWaker(sql, log),
    resolver: overrides.resolver ?? systemResolver,
    startedAt: Date.now(),
    version: KILN_VERSION,
    log,
    close: async () => {
      await limiter.close();
      await sql.end({ timeout: 5 });
    },
  };
}
