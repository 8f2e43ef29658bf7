/**
 * A database of its own for each test file. On a PostgreSQL server: a clone of a template database that
 * holds the shim and the migrations (built once per schema version, under an advisory lock so parallel test
 * files build it once). Without a server: a fresh in-memory PGlite, migrated.
 * `npm test` sets KILN_TEST_DATABASE to the server's admin URL, or to `pglite`.
 */
import { randomBytes } from "node:crypto";
import { type Database, openPglite, openPostgres, type Queryable } from "../db/database.ts";
import { migrate, schemaFingerprint } from "../db/migrate.ts";
import { ensureMessagePartitions } from "../db/realtime_partitions.ts";

export interface TestDatabase {
  db: Database;
  /** The clone's URL on a server (for tests that need more connections); undefined on PGlite. */
  url?: string;
  /** Closes the connections and drops the clone. */
  drop(): Promise<void>;
}

/** The admin URL of the test server, or undefined when tests run on PGlite. */
export function testServerUrl(): string | undefined {
  const target = process.env.KILN_TEST_DATABASE ?? "pglite";
  return target === "pglite" ? undefined : target;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testServerUrl();
  if (!adminUrl) {
    const db = await openPglite();
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const template = `kiln_template_${await schemaFingerprint()}`;
  const name = `kiln_test_${randomBytes(6).toString("hex")}`;
  const admin = openPostgres(adminUrl, { max: 1 });
  try {
    await ensureTemplate(admin, adminUrl, template);
    await admin.exec(`create database ${name} template ${template}`);
  } finally {
    await admin.close();
  }
  const url = withDatabase(adminUrl, name);
  const db = openPostgres(url, { max: 4 });
  // The template may be days old: today's realtime.messages partition is made here, as Realtime would.
  await ensureMessagePartitions(db);
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const a = openPostgres(adminUrl, { max: 1 });
      try {
        await a.exec(`drop database if exists ${name} with (force)`);
      } finally {
        await a.close();
      }
    },
  };
}

async function ensureTemplate(admin: Database, adminUrl: string, template: string): Promise<void> {
  // A session lock (the admin pool has one connection): parallel test files build the template once.
  await admin.query("select pg_advisory_lock(hashtext('kiln test template'))");
  try {
    const [exists] = await admin.query("select 1 from pg_database where datname = $1", [template]);
    if (exists) return;
    // Templates of older schema versions are no longer used by anyone.
    const old = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'kiln\\_template\\_%'",
    );
    for (const { datname } of old) await admin.exec(`drop database if exists ${datname} with (force)`);
    const building = `${template}_building`;
    await admin.exec(`create database ${building}`);
    const db = openPostgres(withDatabase(adminUrl, building), { max: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    await admin.exec(`alter database ${building} rename to ${template}`);
  } finally {
    await admin.query("select pg_advisory_unlock(hashtext('kiln test template'))");
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Runs `fn` in a transaction of `db` that is rolled back whatever happens, for tests that change the schema or
 * roles to look at one behaviour; returns what `fn` returned, or what it threw.
 */
export async function rolledBack(db: Database, fn: (tx: Queryable) => Promise<unknown>): Promise<unknown> {
  const undo = new Error("roll back");
  let outcome: unknown;
  await db
    .transaction(async (tx) => {
      outcome = await fn(tx).catch((error: unknown) => error);
      throw undo;
    })
    .catch((error: unknown) => {
      if (error !== undo) throw error;
    });
  return outcome;
}
