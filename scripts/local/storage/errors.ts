/**
 * Storage's refusals, rendered as Supabase Storage renders them: a body `{statusCode, code, error, message}` whose
 * `statusCode` is the meaningful status ("404", "409", "413"…), sent with HTTP 400 for every client error and 500
 * for server errors (Storage's `userStatusCode`; storage-js reads the body's `statusCode` into `error.statusCode` and
 * the HTTP status into `error.status`). Messages and codes follow supabase/storage `src/internal/errors/codes.ts`.
 */
import type { Context } from "hono";

export class StorageError extends Error {
  /** The status Storage means, carried in the body. */
  readonly statusCode: number;
  /** Storage's ErrorCode (`NoSuchKey`, `InvalidJWT`…). */
  readonly code: string;
  /** The legacy `error` field where Storage sets one (`not_found`, `Duplicate`…); else the code. */
  readonly error: string;

  constructor(statusCode: number, code: string, message: string, error = code) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.error = error;
  }
}

/** Object missing, or hidden from a caller that no storage.objects policy lets see it. */
export const objectNotFound = () => new StorageError(404, "NoSuchKey", "Object not found", "not_found");

export const bucketNotFound = () => new StorageError(404, "NoSuchBucket", "Bucket not found", "Bucket not found");

/** A missing or invalid Authorization JWT on a route that needs one. */
export const accessDenied = (message: string) => new StorageError(403, "AccessDenied", message, "Unauthorized");

/** What Postgres says when RLS refuses the insert (Kiln has no client policy on storage.objects). */
export const rlsRefused = () => accessDenied('new row violates row-level security policy for table "objects"');

/** A signed-URL token that does not verify (bad signature, expired, malformed). */
export const invalidJwt = (message: string) => new StorageError(400, "InvalidJWT", message);

/** A valid token issued for another object or another action. */
export const invalidSignature = (message = "Invalid signature") => new StorageError(400, "InvalidSignature", message);

export const duplicate = () => new StorageError(409, "KeyAlreadyExists", "The resource already exists", "Duplicate");

export const entityTooLarge = () =>
  new StorageError(413, "EntityTooLarge", "The object exceeded the maximum allowed size", "Payload too large");

export const invalidMimeType = (mimeType: string) =>
  new StorageError(415, "InvalidMimeType", `mime type ${mimeType} is not supported`, "invalid_mime_type");

export const invalidKey = (key: string) => new StorageError(400, "InvalidKey", `Invalid key: ${key}`);

/** A request that fails validation, worded like Storage's schema errors. */
export const badRequest = (message: string) => new StorageError(400, "InvalidRequest", message, "Bad Request");

export const noContent = () => new StorageError(400, "InvalidRequest", "No content provided");

/** Hono error handler: renders a StorageError, or a 500 for anything else (logged without request details). */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof StorageError) {
    const body = { statusCode: String(err.statusCode), code: err.code, error: err.error, message: err.message };
    return c.json(body, err.statusCode >= 500 ? 500 : 400);
  }
  console.error(`storage: ${err.name}: ${err.message}`);
  return c.json({ statusCode: "500", code: "InternalError", error: "Internal", message: "Internal Server Error" }, 500);
}
