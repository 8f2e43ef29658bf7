/**
 * Databases the bench makes for itself on the local PostgreSQL server and drops when done, so a run never
 * touches the data of the local stack or of the tests.
 */
import { type Database, openPostgres } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";

/** The server's admin URL: DATABASE_URL, or the local default. */
export function adminUrl(): string {
  return process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

/** `url` pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drops `name` if it exists (ending its sessions) and creates it empty; returns its URL. */
export async function recreateDatabase(admin: string, name: string): Promise<string> {
  const db = openPostgres(admin, { max: 1 });
  try {
    await db.exec(`drop database if exists ${name} with (force)`);
    await db.exec(`create database ${name}`);
  } finally {
    await db.close();
  }
  return withDatabase(admin, name);
}

/** Drops `name` if it exists, ending its sessions. */
export async function dropDatabase(admin: string, name: string): Promise<void> {
  const db = openPostgres(admin, { max: 1 });
  try {
    await db.exec(`drop database if exists ${name} with (force)`);
  } finally {
    await db.close();
  }
}

export interface BenchDatabase {
  url: string;
  /** A small pool for setup and cleanup. */
  db: Database;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated `kiln_bench` (an old one left by an interrupted run is dropped first). */
export async function createBenchDatabase(admin: string, name = "kiln_bench"): Promise<BenchDatabase> {
  const url = await recreateDatabase(admin, name);
  const db = openPostgres(url, { max: 2 });
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    await dropDatabase(admin, name);
    throw error;
  }
  return {
    url,
    db,
    drop: async () => {
      await db.close();
      await dropDatabase(admin, name);
    },
  };
}
