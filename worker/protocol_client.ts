/**
 * Typed calls to the `workers` Edge Function (shared/worker_protocol.ts): fetch with the worker token as a
 * bearer, every answer validated with its zod schema. A refusal is a `ProtocolError` with the envelope's code
 * and the HTTP status; `lease_lost` (409) means someone else holds the job now, `worker_unauthorized` (401)
 * that the token is unknown or revoked. Transient failures (network, 5xx, 429) are `retryable`.
 */
import type { z } from "zod";
import { safeText } from "../shared/text_safety.ts";
import {
  type ClaimedJob,
  type ClaimRequest,
  ClaimResponse,
  type CompleteManyRequest,
  CompleteManyResponse,
  type CompleteRequest,
  Deregistered,
  type FailRequest,
  type HeartbeatRequest,
  HeartbeatResponse,
  type Register,
  Registered,
  ReportResponse,
  type UploadsRequest,
  UploadsResponse,
} from "../shared/worker_protocol.ts";

export class ProtocolError extends Error {
  override name = "ProtocolError";
  readonly code: string;
  /** HTTP status; 0 when no answer came (network error, timeout, abort). */
  readonly status: number;
  readonly details?: unknown;

  constructor(code: string, status: number, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** Worth trying again later: no answer, a 5xx, or rate limited. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

/** The job is held by someone else (stale fencing token): drop it, report nothing more. */
export function isLeaseLost(error: unknown): boolean {
  return error instanceof ProtocolError && error.code === "lease_lost";
}

/** The worker token is refused: nothing this worker does can succeed. */
export function isTokenRefused(error: unknown): boolean {
  return error instanceof ProtocolError && (error.status === 401 || error.code === "worker_unauthorized");
}

export interface ProtocolClientOptions {
  /** The functions base, e.g. http://127.0.0.1:54321/functions/v1. */
  kilnUrl: string;
  token: string;
  /** Per-call timeout besides a claim's long poll, ms (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class ProtocolClient {
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: ProtocolClientOptions) {
    this.base = `${options.kilnUrl.replace(/\/+$/, "")}/workers/v1`;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  register(body: Register): Promise<Registered> {
    return this.call("/register", body, Registered);
  }

  deregister(): Promise<Deregistered> {
    return this.call("/deregister", {}, Deregistered);
  }

  /** Claims up to `n` jobs; with `wait_s` the call is held until a job comes or the time passes. */
  async claim(body: ClaimRequest, signal?: AbortSignal): Promise<ClaimedJob[]> {
    const timeoutMs = this.timeoutMs + (body.wait_s ?? 0) * 1000;
    return (await this.call("/claim", body, ClaimResponse, { signal, timeoutMs })).jobs;
  }

  heartbeat(body: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.call("/heartbeat", body, HeartbeatResponse);
  }

  uploads(jobId: string, body: UploadsRequest): Promise<UploadsResponse> {
    return this.call(`/jobs/${jobId}/uploads`, body, UploadsResponse);
  }

  complete(jobId: string, body: CompleteRequest): Promise<ReportResponse> {
    return this.call(`/jobs/${jobId}/complete`, body, ReportResponse);
  }

  /** Completions of several jobs in one call; each is answered apart (worker/batched_completes.ts sends them). */
  completeMany(body: CompleteManyRequest): Promise<CompleteManyResponse> {
    return this.call("/jobs/complete", body, CompleteManyResponse);
  }

  fail(jobId: string, body: FailRequest): Promise<ReportResponse> {
    return this.call(`/jobs/${jobId}/fail`, body, ReportResponse);
  }

  canceled(jobId: string, fencingToken: string): Promise<ReportResponse> {
    return this.call(`/jobs/${jobId}/canceled`, { fencing_token: fencingToken }, ReportResponse);
  }

  private async call<T>(
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await this.fetchFn(this.base + path, {
        method: "POST",
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
        // What ComfyUI said may hold text Postgres cannot store (a NUL): Kiln would refuse the report, so it is replaced.
        body: JSON.stringify(body, (_key, value) => (typeof value === "string" ? safeText(value) : value)),
        signal,
      });
    } catch (error) {
      const why = options.signal?.aborted ? "aborted" : timeout.aborted ? "timed out" : String(error);
      throw new ProtocolError(options.signal?.aborted ? "aborted" : "unreachable", 0, `POST ${path}: ${why}`);
    }
    const text = await response.text().catch(() => "");
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const envelope = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
        ?.error;
      const code = typeof envelope?.code === "string" ? envelope.code : `http_${response.status}`;
      const message = typeof envelope?.message === "string" ? envelope.message : text.slice(0, 200);
      throw new ProtocolError(
        code,
        response.status,
        `POST ${path}: ${response.status} ${code}: ${message}`,
        envelope?.details,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ProtocolError(
        "invalid_response",
        response.status,
        `POST ${path}: the answer does not match the worker protocol: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join(".")}: ${i.message}`)
          .join("; ")}`,
      );
    }
    return parsed.data;
  }
}
