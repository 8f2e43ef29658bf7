/**
 * PostgREST's error responses: `{code, details, hint, message}`, with its PGRST codes for its own refusals and
 * Postgres's SQLSTATE for the database's (42501 permission denied answers 401 to anon, 403 to anyone else).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class RestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string | null;
  readonly hint: string | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details: string | null = null,
    hint: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.hint = hint;
  }
}

export const unknownTable = (table: string) =>
  new RestError(404, "PGRST205", `Could not find the table 'public.${table}' in the schema cache`);

export const unknownColumn = (table: string, column: string) =>
  new RestError(400, "42703", `column ${table}.${column} does not exist`);

export const parseError = (what: string) => new RestError(400, "PGRST100", `"failed to parse ${what}"`);

/** What Postgres says when the role lacks the grant; PostgREST answers anon 401 and others 403. */
export const permissionDenied = (role: string, table: string) =>
  new RestError(role === "anon" ? 401 : 403, "42501", `permission denied for table ${table}`);

/** PostgREST's error body for `error`, or its 500 for anything unexpected. */
export function restErrorResponse(error: Error, c: Context): Response {
  if (error instanceof RestError) {
    return c.json(
      { code: error.code, details: error.details, hint: error.hint, message: error.message },
      error.status as ContentfulStatusCode,
    );
  }
  const sqlstate = (error as { code?: string }).code;
  if (typeof sqlstate === "string" && /^[0-9A-Z]{5}$/.test(sqlstate)) {
    return c.json({ code: sqlstate, details: null, hint: null, message: error.message }, 400);
  }
  console.error(`rest: ${error.message}`);
  return c.json({ code: "PGRST000", details: null, hint: null, message: "Internal error" }, 500);
}
