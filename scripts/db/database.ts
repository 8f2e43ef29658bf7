/**
 * One small interface over the two databases Kiln runs on locally: a PostgreSQL server (through the
 * `postgres` package, as the functions use it) and the embedded PGlite. Migrations, tests, the bench and the
 * local stack use it; production code talks to Postgres directly.
 */
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";

export type Row = Record<string, unknown>;

/** Runs statements; shared by a database and a transaction on it. */
export interface Queryable {
  /** One statement with `$1…` parameters. int8 comes back as a number, json as objects, timestamps as Dates. */
  query<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (a migration file). */
  exec(script: string): Promise<void>;
}

export interface Database extends Queryable {
  /** The PGlite instance itself, when kind is "pglite" (the local stack serves it over the wire protocol). */
  readonly pglite?: PGlite;
  /** `postgres://…` (password hidden) or `pglite:<folder or memory>`: what a run prints. */
  readonly label: string;
  readonly kind: "postgres" | "pglite";
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Opens a PostgreSQL server by URL. */
export function openPostgres(url: string, options: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 4,
    onnotice: () => {},
    types: { bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
  });
  const wrap = (s: postgres.Sql | postgres.TransactionSql): Queryable => ({
    // A plain array, like PGlite's rows (postgres.js returns an array subclass with extra fields).
    query: async <T>(text: string, params: unknown[] = []) =>
      [...(await s.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }))] as T[],
    exec: async (script: string) => {
      await s.unsafe(script);
    },
  });
  return {
    ...wrap(sql),
    label: redactUrl(url),
    kind: "postgres",
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => sql.begin((tx) => fn(wrap(tx))) as Promise<T>,
    close: () => sql.end({ timeout: 5 }),
  };
}

/** Opens an embedded PGlite, persisted in `dataDir`, or in memory when none is given. */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir ? { dataDir } : {});
  const wrap = (s: Pick<PGlite, "query" | "exec">): Queryable => ({
    query: async <T>(text: string, params: unknown[] = []) => (await s.query<T>(text, params)).rows,
    exec: async (script: string) => {
      await s.exec(script);
    },
  });
  return {
    ...wrap(pg),
    label: `pglite:${dataDir ?? "memory"}`,
    kind: "pglite",
    pglite: pg,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}

/** The URL with its password replaced, for logs and banners. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

/** The database local commands use: `--db <url>`, else DATABASE_URL, else a PGlite persisted in `dataDir`. */
export async function openLocalDatabase(options: { url?: string; dataDir: string }): Promise<Database> {
  const url = options.url ?? process.env.DATABASE_URL;
  if (url) return openPostgres(url);
  return openPglite(options.dataDir);
}
