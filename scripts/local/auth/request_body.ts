/** Request bodies as GoTrue reads them: JSON objects, with its bad_json refusal for anything else. */
import type { Context } from "hono";
import { badRequest } from "./errors.ts";

export type Body = Record<string, unknown>;

/** The JSON object in the request body; an empty body reads as `{}`. */
export async function readBody(c: Context): Promise<Body> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest("bad_json", `Could not parse request body as JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest("bad_json", "Could not parse request body as JSON: expected an object");
  }
  return value as Body;
}

/** A string field, undefined when absent or null; any other type is a bad_json refusal. */
export function stringField(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw badRequest("bad_json", `Could not parse request body as JSON: ${name}`);
  return value;
}

/** An object field (user metadata), undefined when absent or null. */
export function objectField(body: Body, name: string): Body | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("bad_json", `Could not parse request body as JSON: ${name}`);
  }
  return value as Body;
}
