/**
 * The local stack in one call: the database (an embedded PGlite served over the wire protocol, or a
 * PostgreSQL server), migrated; the gateway with auth, storage, realtime and the functions. `npm start` and
 * the tests both use it.
 */
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import type { Hono } from "hono";
import postgres from "postgres";
import type { HostResolver } from "../../shared/net/url_policy.ts";
import { type Database, openPglite, openPostgres } from "../db/database.ts";
import { functionsDatabaseUrl, migrate } from "../db/migrate.ts";
import { ensureMessagePartitions } from "../db/realtime_partitions.ts";
import { Mailbox } from "./auth/mailbox.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded_postgres.ts";
import { functionSettings, type ServedFunction, serveFunctions } from "./functions.ts";
import { gatewayApp, listenGateway } from "./gateway.ts";
import { createJwtKeys, type JwtKeys } from "./jwt_keys.ts";
import { createRealtime, type RealtimeServer } from "./realtime/realtime_server.ts";
import type { StackContext } from "./stack_context.ts";

export interface StackOptions {
  host?: string;
  /** 54321 by default, like `supabase start`; 0 picks a free port. */
  port?: number;
  /** Where PGlite and Storage keep their files; undefined keeps the database in memory (tests). */
  dataDir?: string;
  /** A PostgreSQL server to use instead of PGlite. */
  databaseUrl?: string;
  /** No request log lines from the functions (tests). */
  quiet?: boolean;
  /** Where the embedded PGlite is served over the wire protocol (psql can connect); 0 picks a free port. */
  dbPort?: number;
  /** Run the webhook dispatcher as a loop, woken by each delivery (default true; test stacks turn it off). */
  dispatchLoop?: boolean;
  /** Let the api and workers functions kick the dispatcher after job transitions (default: as dispatchLoop). */
  kicks?: boolean;
  /** The resolver of the webhook SSRF checks (tests control DNS with it); the system's by default. */
  resolver?: HostResolver;
  /**
   * Where the functions' settings come from (process.env by default: the shell that runs `npm start`): every
   * variable the functions read (the README's configuration table), except what the stack supplies itself.
   */
  settings?: Record<string, string | undefined>;
  /** More environment for the functions, over the settings (e.g. KILN_WEBHOOK_HTTP_ALLOW in tests). */
  functionEnv?: Record<string, string>;
}

export interface Stack {
  /** SUPABASE_URL for clients: http://host:port */
  url: string;
  /** The database, as its owner: for setup and the platform's own services. */
  dbUrl: string;
  /** What functions get as SUPABASE_DB_URL: the same database as the functions' role (see migrate.ts). */
  functionsDbUrl: string;
  /** Where the database lives, for the banner. */
  databaseLabel: string;
  keys: JwtKeys;
  /** What /functions/v1/dispatch expects as `Authorization: Bearer …` (KILN_DISPATCH_SECRET), new each start. */
  dispatchSecret: string;
  dataDir: string;
  /** Migrations this start applied. */
  applied: string[];
  /** Closes the gateway (every HTTP and WebSocket connection) and opens it again on the same port and data. */
  restartGateway(): Promise<void>;
  /** Stops everything, in reverse order of start. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? "127.0.0.1";
  const stops: Array<() => Promise<void>> = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let app: Hono | undefined;
    let realtime: RealtimeServer | undefined;
    let server: Server = await listenGateway(
      host,
      options.port ?? 54321,
      () => app,
      () => realtime,
    );
    let listening = true;
    const closeGateway = async () => {
      if (!listening) return;
      listening = false;
      await realtime?.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    };
    stops.push(closeGateway);
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host}:${port}`;

    const database = await openDatabase(options, stops);
    const sql = postgres(database.url, { max: 10, onnotice: () => {} });
    stops.push(() => sql.end({ timeout: 5 }));
    // Realtime's housekeeping: tomorrow's realtime.messages partitions exist before tomorrow.
    const partitions = setInterval(() => {
      ensureMessagePartitions({ exec: async (text) => void (await sql.unsafe(text)) }).catch((error) =>
        console.error(`realtime.messages partitions: ${String(error)}`),
      );
    }, 3_600_000);
    partitions.unref();
    stops.push(async () => clearInterval(partitions));

    const keys = await createJwtKeys(url);
    const dispatchSecret = randomBytes(24).toString("hex");
    const dataDir = options.dataDir ?? (await tempDataDir(stops));
    // A mail names its address and subject in the log, never its link: the link signs someone in.
    const mailbox = new Mailbox((mail) => {
      if (!options.quiet)
        console.log(`auth: mailed "${mail.subject}" to ${mail.to}; read it at ${url}/mail/v1/messages`);
    });
    const ctx: StackContext = { sql, dbUrl: database.url, publicUrl: url, keys, dataDir, mailbox };
    const functions = serveFunctions(
      {
        SUPABASE_URL: url,
        SUPABASE_DB_URL: database.functionsUrl,
        SUPABASE_ANON_KEY: keys.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
        // Local webhook receivers (http, private addresses), like every other setting, only where the developer says so.
        ...functionSettings(options.settings ?? process.env),
        KILN_JWT_SECRET: keys.secret,
        KILN_DISPATCH_SECRET: dispatchSecret,
        ...options.functionEnv,
      },
      options.quiet ? () => {} : undefined,
      {
        dispatchLoop: options.dispatchLoop !== false,
        kicks: options.kicks ?? options.dispatchLoop !== false,
        resolver: options.resolver,
      },
    );
    stops.push(() => closeFunctions(functions));
    const openGateway = async () => {
      realtime = createRealtime(ctx);
      await realtime.start();
      app = gatewayApp(ctx, realtime, functions);
    };
    await openGateway();
    // Closed again here (a no-op if already closed) so it closes before the functions and the database do.
    stops.push(closeGateway);
    return {
      url,
      dbUrl: database.url,
      functionsDbUrl: database.functionsUrl,
      databaseLabel: database.label,
      keys,
      dispatchSecret,
      dataDir,
      applied: database.applied,
      stop,
      restartGateway: async () => {
        await closeGateway();
        app = undefined;
        server = await listenGateway(
          host,
          port,
          () => app,
          () => realtime,
        );
        listening = true;
        await openGateway();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function closeFunctions(functions: Map<string, ServedFunction>): Promise<void> {
  for (const fn of functions.values()) await fn.close();
}

/**
 * Migrates the database and returns the URL the stack talks to. PGlite is migrated in-process, then served
 * over the wire protocol. Either way the Realtime relay is switched on, so realtime.send NOTIFYs.
 */
async function openDatabase(
  options: StackOptions,
  stops: Array<() => Promise<void>>,
): Promise<{ url: string; functionsUrl: string; label: string; applied: string[] }> {
  let db: Database;
  let embedded: EmbeddedPostgres | undefined;
  if (options.databaseUrl) {
    db = openPostgres(options.databaseUrl, { max: 1 });
  } else {
    db = await openPglite(options.dataDir ? `${options.dataDir}/db` : undefined);
  }
  try {
    const applied = await migrate(db);
    const [{ name }] = await db.query<{ name: string }>("select current_database() as name");
    await db.exec(`alter database "${name}" set kiln.realtime_relay = 'on'`);
    // The dispatch loop LISTENs for new deliveries (kiln.tg_webhook_deliveries__notify).
    await db.exec(`alter database "${name}" set kiln.dispatch_notify = 'on'`);
    if (db.kind === "pglite") {
      // PGlite is one session, already open: the database default reaches it only through this SET.
      await db.exec("set kiln.realtime_relay = 'on'");
      await db.exec("set kiln.dispatch_notify = 'on'");
      embedded = await startEmbeddedPostgres(db.pglite as PGlite, "127.0.0.1", options.dbPort ?? 0);
      const served = embedded;
      stops.push(async () => {
        await served.stop();
        await db.close();
      });
      return { url: embedded.url, functionsUrl: embedded.url, label: db.label, applied };
    }
    await db.close();
    const url = options.databaseUrl as string;
    return { url, functionsUrl: functionsDatabaseUrl(url, db.kind), label: db.label, applied };
  } catch (error) {
    await embedded?.stop();
    await db.close();
    throw error;
  }
}

async function tempDataDir(stops: Array<() => Promise<void>>): Promise<string> {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(`${tmpdir()}/kiln-stack-`);
  stops.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
