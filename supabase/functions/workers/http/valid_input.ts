/**
 * Request validation for the worker protocol: bodies and path ids checked against the zod schemas of
 * shared/worker_protocol.ts, refused as the API refuses them (400 invalid_json, 422 validation_failed with a
 * message per field path).
 */
import type { Context } from "hono";
import type { z } from "zod";
import { JobIdParams } from "../../../../shared/api/id_param.ts";
import { fail, validationError } from "../../_shared/http/errors.ts";

/** The JSON body parsed with `schema`; an empty body is parsed as `undefined` (for optional bodies). */
export async function validBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    fail("invalid_json");
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw validationError(result.error.issues);
  return result.data;
}

/** The `:id` of a /v1/jobs/:id/… route, which must be a UUID (the API's own rule). */
export function jobIdParam(c: Context): string {
  const result = JobIdParams.safeParse({ id: c.req.param("id") });
  if (!result.success) throw validationError(result.error.issues);
  return result.data.id;
}

/** A 422 for fields a schema cannot judge alone (names repeated, types not registered, paths elsewhere). */
export function invalidFields(issues: { path: (string | number)[]; message: string }[]): never {
  throw validationError(issues);
}
