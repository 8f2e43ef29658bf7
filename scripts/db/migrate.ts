/**
 * Applies the platform shim and the migrations in order, recording each applied version the way the
 * Supabase CLI does (supabase_migrations.schema_migrations), so a database migrated here looks the same to
 * `supabase db push`. Refuses a database that has a version this code does not know: it is newer than the code.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Database } from "./database.ts";
import { ensureMessagePartitions } from "./realtime_partitions.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const migrationsDir = `${root}supabase/migrations`;
export const platformShim = `${root}scripts/db/platform.sql`;

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

/** The migrations in `supabase/migrations`, ordered by version (`<version>_<name>.sql`). */
export async function readMigrations(): Promise<Migration[]> {
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith(".sql")).sort();
  return Promise.all(
    files.map(async (file) => {
      const match = /^(\d+)_(.+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file name must be <version>_<name>.sql: ${file}`);
      return { version: match[1], name: match[2], sql: await readFile(`${migrationsDir}/${file}`, "utf8") };
    }),
  );
}

/** A short hash of the shim and every migration: names a database template built from them. */
export async function schemaFingerprint(): Promise<string> {
  const hash = createHash("sha256").update(await readFile(platformShim, "utf8"));
  for (const m of await readMigrations()) hash.update(m.version).update(m.sql);
  return hash.digest("hex").slice(0, 12);
}

export class DatabaseNewerThanCodeError extends Error {}

/**
 * The role that owns Kiln's objects and that the functions connect as on a PostgreSQL server: hosted, `postgres`,
 * which is not a superuser; here `kiln_owner` (the shim makes it), so grants are exercised as they are there.
 */
export const FUNCTIONS_ROLE = "kiln_owner";

/**
 * The URL the Edge Functions use for the database at `url`: on a PostgreSQL server, the same database as
 * FUNCTIONS_ROLE (trust-authenticated on the local server); PGlite's served URL as it is.
 */
export function functionsDatabaseUrl(url: string, kind: Database["kind"]): string {
  if (kind !== "postgres") return url;
  const u = new URL(url);
  u.username = FUNCTIONS_ROLE;
  u.password = "";
  return u.href;
}

/**
 * Whether migrations run as FUNCTIONS_ROLE: on a PostgreSQL server, unless Kiln's schema is already there under
 * another owner (a database migrated by an older Kiln keeps its owner). PGlite is one session as its superuser.
 */
async function migratesAsOwner(db: Database): Promise<boolean> {
  if (db.kind !== "postgres") return false;
  const [row] = await db.query<{ owner: string | null }>(
    "select (select nspowner::regrole::text from pg_namespace where nspname = 'kiln') as owner",
  );
  return row.owner === null || row.owner === FUNCTIONS_ROLE;
}

/** Applies what is missing; returns the versions applied by this call. */
export async function migrate(db: Database, options: { shim?: boolean } = {}): Promise<string[]> {
  if (options.shim !== false) {
    await db.exec(await readFile(platformShim, "utf8"));
    await ensureMessagePartitions(db);
  }
  await db.exec(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (
      version text primary key, statements text[], name text);`);
  const migrations = await readMigrations();
  const known = new Set(migrations.map((m) => m.version));
  const applied = new Set(
    (await db.query<{ version: string }>("select version from supabase_migrations.schema_migrations")).map(
      (r) => r.version,
    ),
  );
  const unknown = [...applied].filter((v) => !known.has(v)).sort();
  if (unknown.length > 0) {
    throw new DatabaseNewerThanCodeError(
      `the database has migrations this code does not know (${unknown.join(", ")}): it is newer than the code; update the code or use another database`,
    );
  }
  const asOwner = await migratesAsOwner(db);
  const done: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    await db.transaction(async (tx) => {
      if (asOwner) await tx.exec(`set local role ${FUNCTIONS_ROLE}`);
      await tx.exec(m.sql);
      if (asOwner) await tx.exec("reset role");
      await tx.query("insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)", [
        m.version,
        m.name,
      ]);
    });
    done.push(m.version);
  }
  return done;
}
