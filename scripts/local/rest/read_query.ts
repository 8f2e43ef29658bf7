/**
 * A PostgREST read, from the query string supabase-js sends, to one SQL statement over `public.<table>`:
 * `select` (columns, `alias:column`, `*`, and `<table>(count)` embeds where a foreign key or a computed relationship
 * joins the two),
 * filters `<column>=[not.]<op>.<value>` (eq, neq, gt, gte, lt, lte, like, ilike, is, in), `order`, `limit`,
 * `offset`. Every identifier is checked against the table's columns before it is quoted; every value is a
 * parameter cast to its column's type.
 */
import { parseError, RestError, unknownColumn } from "./errors.ts";

/** A table of `public` as the schema cache knows it. */
export interface TableInfo {
  name: string;
  /** Column name → type as format_type prints it. */
  columns: Map<string, string>;
}

/** A foreign key between two tables of `public`. */
export interface ForeignKey {
  table: string;
  column: string;
  refTable: string;
  refColumn: string;
}

/**
 * A computed relationship, as PostgREST 11+ finds them: a function of `public` named after `related` that takes a
 * row of `table` and returns rows of `related`. It wins over a foreign key between the same two tables.
 */
export interface ComputedRelationship {
  table: string;
  related: string;
}

/** What joins tables for embeds. */
export interface Relationships {
  foreignKeys: ForeignKey[];
  computed: ComputedRelationship[];
}

export interface ReadQuery {
  /** The rows, with the filters, order and page. */
  rows: { text: string; params: unknown[] };
  /** How many rows the filters match, for `Prefer: count=exact`. */
  count: { text: string; params: unknown[] };
  offset: number;
}

/** PostgREST's default `max_rows` here, as config.toml sets it: no read returns more. */
const MAX_ROWS = 1000;

const OPERATORS: Record<string, string> = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };
const RESERVED = new Set(["select", "order", "limit", "offset", "columns", "on_conflict"]);

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Splits on commas outside parentheses and double quotes. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === "(") depth++;
    if (!quoted && ch === ")") depth--;
    if (ch === "," && depth === 0 && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

function column(table: TableInfo, name: string): string {
  if (!table.columns.has(name)) throw unknownColumn(table.name, name);
  return `t.${quote(name)}`;
}

/** The rows of `related` that belong to a row `t` of `table`, as a FROM item aliased `r`, or undefined. */
function relatedRows(table: TableInfo, related: string, { foreignKeys, computed }: Relationships): string | undefined {
  if (computed.some((c) => c.table === table.name && c.related === related)) {
    return `public.${quote(related)}(t) r`;
  }
  const fk = foreignKeys.find(
    (k) => (k.table === related && k.refTable === table.name) || (k.table === table.name && k.refTable === related),
  );
  if (!fk) return undefined;
  const on =
    fk.table === related
      ? `r.${quote(fk.column)} = t.${quote(fk.refColumn)}`
      : `r.${quote(fk.refColumn)} = t.${quote(fk.column)}`;
  return `public.${quote(related)} r where ${on}`;
}

/** The select list: columns, aliases, `*`, and counts of related rows. */
function selectList(table: TableInfo, select: string, relationships: Relationships): string {
  return splitTop(select)
    .map((item) => {
      if (item === "*") return "t.*";
      const embed = /^(?:(\w+):)?(\w+)\(count\)$/.exec(item);
      if (embed) {
        const [, alias, related] = embed;
        const rows = relatedRows(table, related, relationships);
        if (!rows) {
          throw new RestError(
            400,
            "PGRST200",
            `Could not find a relationship between '${table.name}' and '${related}' in the schema cache`,
          );
        }
        return `json_build_array(json_build_object('count', (select count(*) from ${rows}))) as ${quote(alias ?? related)}`;
      }
      const plain = /^(?:(\w+):)?(\w+)$/.exec(item);
      if (!plain) throw parseError(`select (${item})`);
      const [, alias, name] = plain;
      return `${column(table, name)}${alias ? ` as ${quote(alias)}` : ""}`;
    })
    .join(", ");
}

/** One filter `<column>=<expression>` as SQL, its values pushed onto `params`. */
function filter(table: TableInfo, name: string, expression: string, params: unknown[]): string {
  const col = column(table, name);
  const type = table.columns.get(name) as string;
  const negated = expression.startsWith("not.");
  const rest = negated ? expression.slice(4) : expression;
  const dot = rest.indexOf(".");
  if (dot < 0) throw parseError(`filter (${expression})`);
  const [op, value] = [rest.slice(0, dot), rest.slice(dot + 1)];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  let sql: string;
  if (op in OPERATORS) sql = `${col} ${OPERATORS[op]} ${param(value)}::${type}`;
  else if (op === "like" || op === "ilike") sql = `${col}::text ${op} ${param(value.replaceAll("*", "%"))}`;
  else if (op === "is") {
    const allowed: Record<string, string> = { null: "null", true: "true", false: "false", unknown: "unknown" };
    if (!(value in allowed)) throw parseError(`filter (${expression})`);
    sql = `${col} is ${allowed[value]}`;
  } else if (op === "in") {
    const list = /^\((.*)\)$/.exec(value)?.[1];
    if (list === undefined) throw parseError(`filter (${expression})`);
    const values = splitTop(list).map((v) => v.replace(/^"(.*)"$/, "$1"));
    sql = `${col} = any(${param(values)}::${type}[])`;
  } else throw parseError(`filter (${expression})`);
  return negated ? `not (${sql})` : sql;
}

/** `order=a.desc.nullslast,b` as an ORDER BY list. */
function orderBy(table: TableInfo, order: string): string {
  return splitTop(order)
    .map((term) => {
      const [name, ...modifiers] = term.split(".");
      const parts = [column(table, name)];
      for (const m of modifiers) {
        if (m === "asc" || m === "desc") parts.push(m);
        else if (m === "nullsfirst" || m === "nullslast") parts.push(m === "nullsfirst" ? "nulls first" : "nulls last");
        else throw parseError(`order (${term})`);
      }
      return parts.join(" ");
    })
    .join(", ");
}

function nonNegative(value: string | null, what: string): number | undefined {
  if (value === null) return undefined;
  if (!/^\d+$/.test(value)) throw parseError(`${what} (${value})`);
  return Number(value);
}

/** The SQL of a read of `table` for `query`. */
export function readQuery(table: TableInfo, query: URLSearchParams, relationships: Relationships): ReadQuery {
  const params: unknown[] = [];
  const where: string[] = [];
  for (const [key, value] of query) {
    if (RESERVED.has(key) || key.includes(".")) continue;
    where.push(filter(table, key, value, params));
  }
  const whereSql = where.length > 0 ? ` where ${where.join(" and ")}` : "";
  const from = `from public.${quote(table.name)} t${whereSql}`;
  const order = query.get("order");
  const offset = nonNegative(query.get("offset"), "offset") ?? 0;
  const limit = Math.min(nonNegative(query.get("limit"), "limit") ?? MAX_ROWS, MAX_ROWS);
  const list = selectList(table, query.get("select") ?? "*", relationships);
  return {
    rows: {
      text: `select ${list} ${from}${order ? ` order by ${orderBy(table, order)}` : ""} limit ${limit} offset ${offset}`,
      params,
    },
    count: { text: `select count(*)::int as n ${from}`, params },
    offset,
  };
}
