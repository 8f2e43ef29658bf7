/**
 * For dispatcher tests: a migrated database of the test file's own, reached over the wire like a function reaches
 * it (a clone on the PostgreSQL server, or an in-memory PGlite served by the local stack's wire server), and
 * Dispatchers on it with test-sized options: a short timeout, no linger, and loopback receivers allowed.
 */
import { after, before } from "node:test";
import postgres from "postgres";
import { type Database, openPglite, openPostgres } from "../../../../scripts/db/database.ts";
import { functionsDatabaseUrl, migrate } from "../../../../scripts/db/migrate.ts";
import { startEmbeddedPostgres } from "../../../../scripts/local/embedded_postgres.ts";
import { fixedResolver } from "../../../../scripts/testing/fixed_resolver.ts";
import { createTestDatabase, testServerUrl } from "../../../../scripts/testing/test_database.ts";
import type { HostResolver, TargetPolicy } from "../../../../shared/net/url_policy.ts";
import { Dispatcher, type DispatcherOptions } from "../delivery/dispatcher.ts";
import { WEBHOOK_USER_AGENT } from "../deps.ts";
import { startReceiver, type WebhookReceiver } from "./webhook_receiver.ts";

export const TEST_API_URL = "https://kiln.example.test";

/** Loopback receivers over plain http are allowed; everything else is checked as in production. */
export const LOOPBACK_POLICY: TargetPolicy = { httpAllow: ["127.0.0.1"], privateAllow: ["127.0.0.1"] };

export interface DispatcherSetup extends Partial<DispatcherOptions> {
  resolver?: HostResolver;
  policy?: TargetPolicy;
  fetch?: typeof fetch;
}

/**
 * A Dispatcher with test-sized options on the database at `url`, on a pool of its own of `poolSize` connections
 * (so several can really run at once); `close()` ends the pool. Links in payloads point at `setup.apiUrl`.
 */
export function testDispatcher(
  url: string,
  setup: DispatcherSetup & { apiUrl?: string } = {},
  poolSize = 4,
): { dispatcher: Dispatcher; close(): Promise<void> } {
  const own = postgres(url, { prepare: false, max: poolSize, onnotice: () => {} });
  const { resolver, policy, fetch: fetchImpl, apiUrl, ...options } = setup;
  const dispatcher = new Dispatcher(
    {
      sql: own,
      resolver: resolver ?? fixedResolver(new Map()),
      fetch: fetchImpl ?? fetch,
      policy: policy ?? LOOPBACK_POLICY,
      apiUrl: apiUrl ?? TEST_API_URL,
      userAgent: WEBHOOK_USER_AGENT,
      log: () => {},
    },
    {
      batchSize: 20,
      concurrency: 8,
      budgetMs: 10_000,
      lingerMs: 0,
      leaseSeconds: 60,
      timeoutMs: 500,
      ...options,
    },
  );
  return { dispatcher, close: () => own.end({ timeout: 5 }) };
}

export interface DispatchHarness {
  /** The database's URL as the functions' role, for a dispatcher in another process. */
  url: string;
  /** For fixtures and checks. */
  db: Database;
  /** A pool like the function's. */
  sql: postgres.Sql;
  /** A Dispatcher on its own pool of `poolSize` connections (so several can really run at once). */
  dispatcher(setup?: DispatcherSetup, poolSize?: number): Dispatcher;
  close(): Promise<void>;
}

export async function startDispatchHarness(): Promise<DispatchHarness> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    let url: string;
    let db: Database;
    if (testServerUrl()) {
      const t = await createTestDatabase();
      closers.push(() => t.drop());
      // Dispatchers connect as the functions' role, as the function does; fixtures use the owner's connection.
      url = functionsDatabaseUrl(t.url as string, "postgres");
      db = t.db;
    } else {
      const pglite = await openPglite();
      closers.push(() => pglite.close());
      await migrate(pglite);
      const served = await startEmbeddedPostgres(pglite.pglite as NonNullable<Database["pglite"]>, "127.0.0.1", 0);
      closers.push(() => served.stop());
      url = served.url;
      db = openPostgres(url, { max: 2 });
      closers.push(() => db.close());
    }
    const sql = postgres(url, { prepare: false, max: 4, onnotice: () => {} });
    closers.push(() => sql.end({ timeout: 5 }));
    return {
      url,
      db,
      sql,
      dispatcher(setup = {}, poolSize = 4) {
        const { dispatcher, close: closeDispatcher } = testDispatcher(url, setup, poolSize);
        closers.push(closeDispatcher);
        return dispatcher;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface DeliveryTest {
  /** The file's harness and receiver, once its `before` hook has run. */
  readonly h: DispatchHarness;
  readonly receiver: WebhookReceiver;
}

/**
 * Registers a delivery test file's hooks: a harness and a loopback receiver, both closed after; `setup` runs once
 * they are up.
 */
export function useDeliveryTest(setup?: (h: DispatchHarness) => Promise<void>): DeliveryTest {
  let h: DispatchHarness | undefined;
  let receiver: WebhookReceiver | undefined;
  before(async () => {
    h = await startDispatchHarness();
    receiver = await startReceiver();
    await setup?.(h);
  });
  after(async () => {
    await receiver?.close();
    await h?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the harness is ready only inside tests");
    return value;
  };
  return {
    get h() {
      return ready(h);
    },
    get receiver() {
      return ready(receiver);
    },
  };
}
