/**
 * Errors become the one envelope {error: {code, message, details?, request_id}} here, and only here: routes
 * throw KilnError (or let the database's KL SQLSTATEs through), validation failures come from the zod hook.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  ERROR_CODES,
  type ErrorCode,
  type ErrorEnvelope,
  fromDatabaseError,
  KilnError,
} from "../../../../shared/errors.ts";

/** Throws the Kiln error `code`, with the code's default message unless one is given. */
export function fail(code: ErrorCode, message?: string, details?: Record<string, unknown>): never {
  throw new KilnError(code, message ?? ERROR_CODES[code].message, details);
}

/** The JSON response for `error` (any thrown value), logging what is not a Kiln error. Any function's app. */
export function errorResponse(c: Context, error: unknown): Response {
  const mapped = fromHttpException(fromDatabaseError(error));
  const kiln =
    mapped instanceof KilnError ? mapped : new KilnError("internal", ERROR_CODES.internal.message, undefined);
  if (!(mapped instanceof KilnError)) {
    console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), error: String(error) }));
  }
  const body: ErrorEnvelope = {
    error: {
      code: kiln.code,
      message: kiln.message,
      ...(kiln.details ? { details: kiln.details } : {}),
      request_id: c.get("requestId") ?? "",
    },
  };
  // A body refused before it was read: the client must not send the next request on this connection, whose
  // unread rest the server would otherwise take for it (or drop the socket over).
  if (kiln.code === "payload_too_large") c.header("connection", "close");
  return c.json(body, kiln.status as 400);
}

/** Hono's own refusals (its JSON validator's 400 on a malformed body, the media-type gate's 415) as Kiln errors. */
function fromHttpException(error: unknown): unknown {
  if (!(error instanceof HTTPException)) return error;
  const code = HTTP_EXCEPTION_CODES[error.status];
  return code ? new KilnError(code, ERROR_CODES[code].message) : error;
}

const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: "invalid_json",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** The 422 for failed zod validation: the first problem in the message, every field's in the details. */
export function validationError(issues: readonly { path: PropertyKey[]; message: string }[]): KilnError {
  const details = fieldErrors(issues);
  const first = Object.entries(details)[0];
  return new KilnError("validation_failed", first ? `${first[0]}: ${first[1]}` : "The request is not valid.", details);
}

/** zod issues as `{field path: message}`, for the details of a 422. */
export function fieldErrors(issues: readonly { path: PropertyKey[]; message: string }[]): Record<string, string> {
  return Object.fromEntries(issues.map((i) => [i.path.map(String).join(".") || "(body)", i.message]));
}
