/**
 * A PostgREST-compatible read subset at /rest/v1, for `supabase.from(table).select(…)` against the exposed
 * `public` tables (config.toml's `[api] schemas`). A read runs as the caller's role with PostgREST's settings
 * (`role`, `request.jwt.claims`) for one transaction, so grants and RLS decide exactly as on hosted: a table
 * without SELECT for the role is PostgREST's permission error, and RLS filters the rows. `Prefer: count=exact`
 * answers the total in Content-Range; `Accept: application/vnd.pgrst.object+json` (single()) wants one row.
 * Writes are answered with the permission error where the role has no grant; where it has one, with a refusal
 * saying the local stack serves reads only.
 */
import { type Context, Hono } from "hono";
import type postgres from "postgres";
import type { StackContext } from "../stack_context.ts";
import { permissionDenied, RestError, restErrorResponse, unknownTable } from "./errors.ts";
import {
  type ComputedRelationship,
  type ForeignKey,
  type Relationships,
  readQuery,
  type TableInfo,
} from "./read_query.ts";

const OBJECT = "application/vnd.pgrst.object+json";
const ROLES = new Set(["anon", "authenticated", "service_role"]);
const WRITE_PRIVILEGE: Record<string, string> = { POST: "INSERT", PATCH: "UPDATE", PUT: "INSERT", DELETE: "DELETE" };

/** The caller's verified claims: the bearer token, else the apikey (supabase-js sends both). */
async function claimsOf(ctx: StackContext, c: Context): Promise<Record<string, unknown> & { role: string }> {
  const token = /^bearer (\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? c.req.header("apikey");
  if (!token) throw new RestError(401, "PGRST302", "Anonymous access is disabled");
  let claims: Record<string, unknown>;
  try {
    claims = await ctx.keys.verify(token);
  } catch (error) {
    const expired = (error as { code?: string }).code === "ERR_JWT_EXPIRED";
    throw expired
      ? new RestError(401, "PGRST303", "JWT expired")
      : new RestError(401, "PGRST301", "JWSError JWSInvalidSignature");
  }
  const role = claims.role;
  if (typeof role !== "string" || !ROLES.has(role)) {
    throw new RestError(401, "PGRST301", `role "${String(role)}" does not exist`);
  }
  return { ...claims, role };
}

async function tableInfo(sql: postgres.Sql, name: string): Promise<TableInfo> {
  const rows = await sql<{ name: string; type: string }[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relname = ${name} and c.relkind in ('r', 'v', 'm', 'p')
       and a.attnum > 0 and not a.attisdropped`;
  if (rows.length === 0) throw unknownTable(name);
  return { name, columns: new Map(rows.map((r) => [r.name, r.type])) };
}

async function relationships(sql: postgres.Sql): Promise<Relationships> {
  const foreignKeys = await sql<ForeignKey[]>`
    select c.relname as "table", a.attname as "column", rc.relname as "refTable", ra.attname as "refColumn"
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_class rc on rc.oid = k.confrelid join pg_namespace rn on rn.oid = rc.relnamespace
      join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
      join pg_attribute ra on ra.attrelid = k.confrelid and ra.attnum = k.confkey[1]
     where k.contype = 'f' and cardinality(k.conkey) = 1 and n.nspname = 'public' and rn.nspname = 'public'`;
  const computed = await sql<ComputedRelationship[]>`
    select a.relname as "table", p.proname as related
      from pg_proc p
      join pg_class a on a.reltype = p.proargtypes[0] join pg_class r on r.reltype = p.prorettype
     where p.pronamespace = 'public'::regnamespace and p.pronargs = 1 and p.proretset
       and a.relnamespace = 'public'::regnamespace and r.relnamespace = 'public'::regnamespace
       and r.relname = p.proname`;
  return { foreignKeys: [...foreignKeys], computed: [...computed] };
}

/** Runs `fn` as the caller, with PostgREST's per-request settings, in a transaction that never commits. */
async function asCaller<T>(
  sql: postgres.Sql,
  claims: Record<string, unknown> & { role: string },
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  const answer = Symbol("answer");
  let result: T | undefined;
  await sql
    .begin(async (tx) => {
      await tx`select set_config('role', ${claims.role}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                      set_config('request.method', 'GET', true)`;
      result = await fn(tx);
      throw answer;
    })
    .catch((error: unknown) => {
      if (error !== answer) throw error;
    });
  return result as T;
}

async function read(ctx: StackContext, c: Context): Promise<Response> {
  const claims = await claimsOf(ctx, c);
  const table = await tableInfo(ctx.sql, c.req.param("table") as string);
  const query = readQuery(table, new URL(c.req.url).searchParams, await relationships(ctx.sql));
  const wantsCount = /count=exact/.test(c.req.header("prefer") ?? "");
  const { rows, total } = await asCaller(ctx.sql, claims, async (tx) => {
    const privileged = await tx<
      { ok: boolean }[]
    >`select has_table_privilege(${`public.${table.name}`}, 'SELECT') as ok`;
    if (!privileged[0].ok) throw permissionDenied(claims.role, table.name);
    const found = await tx.unsafe(query.rows.text, query.rows.params as postgres.ParameterOrJSON<never>[]);
    const counted = wantsCount
      ? (await tx.unsafe<{ n: number }[]>(query.count.text, query.count.params as postgres.ParameterOrJSON<never>[]))[0]
          .n
      : undefined;
    return { rows: [...found], total: counted };
  });
  const first = query.offset;
  c.header(
    "Content-Range",
    `${rows.length > 0 ? `${first}-${first + rows.length - 1}` : "*"}/${total === undefined ? "*" : total}`,
  );
  if ((c.req.header("accept") ?? "").startsWith(OBJECT)) {
    if (rows.length !== 1) {
      throw new RestError(
        406,
        "PGRST116",
        "JSON object requested, multiple (or no) rows returned",
        `The result contains ${rows.length} rows`,
      );
    }
    c.header("content-type", `${OBJECT}; charset=utf-8`);
    return c.req.method === "HEAD" ? c.body(null, 200) : c.body(JSON.stringify(rows[0]), 200);
  }
  if (c.req.method === "HEAD") return c.body(null, 200);
  return c.json(rows, 200);
}

async function write(ctx: StackContext, c: Context): Promise<Response> {
  const claims = await claimsOf(ctx, c);
  const table = await tableInfo(ctx.sql, c.req.param("table") as string);
  const privilege = WRITE_PRIVILEGE[c.req.method];
  const allowed = await asCaller(ctx.sql, claims, async (tx) => {
    const [row] = await tx<
      { ok: boolean }[]
    >`select has_table_privilege(${`public.${table.name}`}, ${privilege}) as ok`;
    return row.ok;
  });
  if (!allowed) throw permissionDenied(claims.role, table.name);
  throw new RestError(
    501,
    "PGRST000",
    "The local stack serves PostgREST reads only: write through the API or SQL.",
    `${c.req.method} on public.${table.name}`,
  );
}

/** The REST app for the gateway's /rest/v1. */
export function restApp(ctx: StackContext): Hono {
  const app = new Hono();
  app.onError(restErrorResponse);
  app.on(["GET", "HEAD"], "/:table", (c) => read(ctx, c));
  app.on(["POST", "PATCH", "PUT", "DELETE"], "/:table", (c) => write(ctx, c));
  app.all("*", () => {
    throw new RestError(404, "PGRST125", "Invalid path specified in request URL");
  });
  return app;
}
