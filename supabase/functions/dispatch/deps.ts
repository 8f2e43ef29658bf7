/**
 * What the dispatcher needs, built once per isolate from its environment: configuration, a Postgres pool
 * (`prepare: false` for the transaction pooler), the resolver of the SSRF check, and the one Dispatcher of this
 * isolate. Tests and the local stack pass their own resolver or fetch.
 */
import type postgres from "postgres";
import { systemResolver } from "../../../shared/net/dns_resolver.ts";
import type { HostResolver } from "../../../shared/net/url_policy.ts";
import { KILN_VERSION } from "../../../shared/version.ts";
import { functionPool } from "../_shared/database_pool.ts";
import { type LogLine, stdoutLog } from "../_shared/http/request_context.ts";
import { type DispatchConfig, parseDispatchConfig, targetPolicy } from "./config.ts";
import { Dispatcher, type DispatcherOptions } from "./delivery/dispatcher.ts";

export interface DispatchDeps {
  config: DispatchConfig;
  sql: postgres.Sql;
  dispatcher: Dispatcher;
  log: LogLine;
}

export interface DispatchOverrides {
  log?: LogLine;
  resolver?: HostResolver;
  fetch?: typeof fetch;
  /** Options of the Dispatcher beyond the configuration's (a test clock). */
  dispatcher?: Partial<DispatcherOptions>;
}

/** The User-Agent of every delivery. */
export const WEBHOOK_USER_AGENT = `Kiln-Webhooks/${KILN_VERSION}`;

/** Opens what the app needs from `env`; `close()` waits for the run under way, then releases the pool. */
export function dispatchDeps(
  env: Record<string, string | undefined>,
  overrides: DispatchOverrides = {},
): DispatchDeps & { close(): Promise<void> } {
  const config = parseDispatchConfig(env);
  const log = overrides.log ?? stdoutLog;
  const sql = functionPool(config);
  const dispatcher = new Dispatcher(
    {
      sql,
      resolver: overrides.resolver ?? systemResolver,
      fetch: overrides.fetch ?? fetch,
      policy: targetPolicy(config),
      apiUrl: config.SUPABASE_URL,
      userAgent: WEBHOOK_USER_AGENT,
      log,
    },
    {
      batchSize: config.KILN_DISPATCH_BATCH,
      concurrency: config.KILN_DISPATCH_CONCURRENCY,
      budgetMs: config.KILN_DISPATCH_BUDGET_MS,
      lingerMs: config.KILN_DISPATCH_LINGER_MS,
      timeoutMs: config.KILN_WEBHOOK_TIMEOUT_MS,
      // From the claim: the DNS lookup, the send and the record all fit well within it.
      leaseSeconds: Math.ceil(config.KILN_WEBHOOK_TIMEOUT_MS / 1000) + 45,
      ...overrides.dispatcher,
    },
  );
  return {
    config,
    sql,
    dispatcher,
    log,
    close: async () => {
      await dispatcher.idle();
      await sql.end({ timeout: 5 });
    },
  };
}
