/**
 * GoTrue's error responses. A request that sends `X-Supabase-Api-Version: 2024-01-01` or later (auth-js always
 * does) gets `{code: "<error code>", message}` and the version echoed back, which is how auth-js knows to read
 * `code` as the error code; older clients get `{code: <status>, error_code, msg}`. Both carry `x-sb-error-code`.
 * OAuth-style errors (`{error, error_description}`, always 400) are GoTrue's for a few token-endpoint refusals.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

const API_VERSION_HEADER = "X-Supabase-Api-Version";
const API_VERSION_2024_01_01 = "2024-01-01";

/** A refusal with GoTrue's status, error code and message. */
export class AuthError extends Error {
  readonly status: number;
  readonly code: string;
  /** For weak_password: which rules the password broke ("length"). */
  readonly reasons?: string[];

  constructor(status: number, code: string, message: string, reasons?: string[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.reasons = reasons;
  }
}

/** An OAuth2 error (`invalid_request`, `unsupported_grant_type`): 400 `{error, error_description}`. */
export class OAuthError extends Error {
  readonly error: string;

  constructor(error: string, description = "") {
    super(description);
    this.error = error;
  }
}

export const badRequest = (code: string, message: string) => new AuthError(400, code, message);
export const forbidden = (code: string, message: string) => new AuthError(403, code, message);
export const unprocessable = (code: string, message: string) => new AuthError(422, code, message);
/** GoTrue's refusal of an email another user has. */
export const emailTaken = () =>
  unprocessable("email_exists", "A user with this email address has already been registered");

/** True when the request asks for the 2024-01-01 error format (a valid `YYYY-MM-DD` on or after it). */
function wantsDatedErrors(c: Context): boolean {
  const version = c.req.header(API_VERSION_HEADER) ?? "";
  return /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= API_VERSION_2024_01_01;
}

/** Hono's onError for the auth app: GoTrue's shape for refusals, its unexpected_failure 500 for anything else. */
export function authErrorResponse(error: Error, c: Context): Response {
  const dated = wantsDatedErrors(c);
  if (dated) c.header(API_VERSION_HEADER, API_VERSION_2024_01_01);
  if (error instanceof OAuthError) {
    return c.json({ error: error.error, ...(error.message ? { error_description: error.message } : {}) }, 400);
  }
  const known = error instanceof AuthError;
  if (!known) console.error(`auth: unexpected failure: ${error.message}`);
  const status = known ? error.status : 500;
  const code = known ? error.code : "unexpected_failure";
  const message = known ? error.message : "Unexpected failure, please check server logs for more information";
  const weak = known && error.reasons ? { weak_password: { reasons: error.reasons } } : {};
  c.header("x-sb-error-code", code);
  const body = dated ? { code, message, ...weak } : { code: status, error_code: code, msg: message, ...weak };
  return c.json(body, status as ContentfulStatusCode);
}
