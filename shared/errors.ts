/**
 * The one list of error codes a client can see, each with its HTTP status, and the mapping from the
 * custom SQLSTATEs the lifecycle functions raise (`errcode = 'KL0nn'`) to those codes.
 */

export const ERROR_CODES = {
  // 400–431: the request itself.
  malformed_request: { status: 400, message: "The request is not valid HTTP." },
  invalid_json: { status: 400, message: "The body is not valid JSON." },
  missing_credentials: {
    status: 401,
    message: "Send a Supabase access token or an API key: Authorization: Bearer <token>, or x-api-key.",
  },
  invalid_token: { status: 401, message: "The access token is not valid; sign in again." },
  token_expired: { status: 401, message: "The access token has expired; refresh the session." },
  invalid_api_key: { status: 401, message: "The API key is not valid." },
  api_key_revoked: { status: 401, message: "The API key was revoked; create a new one." },
  api_key_expired: { status: 401, message: "The API key has expired; create a new one." },
  worker_unauthorized: { status: 401, message: "Unknown or revoked worker." },
  insufficient_credits: { status: 402, message: "Not enough credits for this job." },
  missing_scope: { status: 403, message: "The API key lacks the scope this route needs." },
  admin_required: { status: 403, message: "This route is for administrators." },
  not_found: { status: 404, message: "Not found." },
  idempotency_key_reused: {
    status: 409,
    message: "This Idempotency-Key was used with a different request; use a new key.",
  },
  lease_lost: { status: 409, message: "The job is no longer held by this worker; drop it." },
  invalid_state: { status: 409, message: "The job is not in a state that allows this." },
  conflict: { status: 409, message: "That conflicts with something that exists." },
  payload_too_large: { status: 413, message: "The body is larger than allowed." },
  unsupported_media_type: { status: 415, message: "Send the body as application/json." },
  headers_too_large: { status: 431, message: "The request's headers are larger than allowed." },
  validation_failed: { status: 422, message: "The request is not valid; see details for each field." },
  invalid_request: { status: 422, message: "The request is not valid." },
  webhook_url_refused: {
    status: 422,
    message: "Webhooks may only go to https URLs on public internet addresses.",
  },
  input_url_refused: {
    status: 422,
    message: "Input images may only come from https URLs on public internet addresses, or from POST /v1/uploads.",
  },
  // 429–503: limits and availability.
  rate_limited: { status: 429, message: "Too many requests; retry after the time in Retry-After." },
  too_many_active_jobs: { status: 429, message: "Too many queued or running jobs; wait for some to finish." },
  internal: { status: 500, message: "Something went wrong on our side; retry, and report the request id." },
  maintenance: { status: 503, message: "Kiln is down for maintenance; retry later." },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** SQLSTATEs raised by supabase/migrations, each mapped once. */
export const SQLSTATE_CODES: Readonly<Record<string, ErrorCode>> = {
  KL001: "maintenance",
  KL002: "too_many_active_jobs",
  KL003: "insufficient_credits",
  KL004: "idempotency_key_reused",
  KL005: "not_found",
  KL006: "lease_lost",
  KL007: "invalid_state",
  KL008: "worker_unauthorized",
  KL010: "not_found",
  KL011: "invalid_state",
  KL012: "invalid_request",
  KL013: "invalid_state",
  KL099: "internal",
};

/** A refusal from the database, with the code clients see and the JSON the function put in DETAIL. */
export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "KilnError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Turns a database error with a KL SQLSTATE into a KilnError; anything else is returned unchanged. */
export function fromDatabaseError(error: unknown): unknown {
  const e = error as { code?: string; message?: string; detail?: string };
  const code = typeof e?.code === "string" ? SQLSTATE_CODES[e.code] : undefined;
  if (!code) return error;
  let details: Record<string, unknown> | undefined;
  if (e.detail) {
    try {
      details = JSON.parse(e.detail);
    } catch {
      details = { detail: e.detail };
    }
  }
  return new KilnError(code, e.message ?? ERROR_CODES[code].message, details);
}

/** The one error envelope every Kiln endpoint answers with. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; request_id: string };
}
