/**
 * The one list of error codes a client can see, each with its HTTP status, and the mapping from the
 * custom SQLSTATEs the lifecycle functions raise (`errcode = 'KL0nn'`) to those codes.
 */

export const ERROR_CODES = {
  maintenance: { status: 503, message: "Kiln is down for maintenance; retry later." },
  too_many_active_jobs: { status: 429, message: "Too many queued or running jobs; wait for some to finish." },
  insufficient_credits: { status: 402, message: "Not enough credits for this job." },
  idempotency_key_reused: {
    status: 409,
    message: "This Idempotency-Key was used with a different request; use a new key.",
  },
  not_found: { status: 404, message: "Not found." },
  lease_lost: { status: 409, message: "The job is no longer held by this worker; drop it." },
  invalid_state: { status: 409, message: "The job is not in a state that allows this." },
  worker_unauthorized: { status: 401, message: "Unknown or revoked worker." },
  invalid_request: { status: 422, message: "The request is not valid." },
  internal: { status: 500, message: "Something went wrong on our side." },
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
