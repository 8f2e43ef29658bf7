/**
 * The API as the client calls it: JSON over fetch with the API key as a Bearer token, one method per route it
 * uses. Every refusal comes back as an ApiError carrying the envelope's code, message, details and request id;
 * a server that cannot be reached is an ApiError with code `unreachable` and no request id.
 */
import type { z } from "zod";
import type { Job, JobOutput, JobSummary } from "../../shared/api/job_schema.ts";

/** The error envelope `{error: {code, message, details?, request_id}}`, or a network failure. */
export class ApiError extends Error {
  override name = "ApiError";
  /** The HTTP status; 0 when the API could not be reached. */
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, requestId?: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }
}

export interface JobPage {
  data: JobSummary[];
  next_cursor: string | null;
}

export interface JobOutputs {
  job_id: string;
  expires_at: string;
  outputs: Array<z.infer<typeof JobOutput> & { url: string | null }>;
}

export interface Upload {
  upload_id: string;
  ref: string;
  path: string;
  signed_url: string;
}

/** What POST /v1/jobs takes. */
export interface CreateJobRequest {
  type: string;
  params: Record<string, unknown>;
  priority?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #apiKey: string;

  constructor(baseUrl: string, apiKey: string) {
    this.baseUrl = baseUrl;
    this.#apiKey = apiKey;
  }

  /** Calls `${baseUrl}${path}` and returns the JSON answer; throws ApiError on a refusal or network failure. */
  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.#apiKey}`, ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ApiError(0, "unreachable", `cannot reach the API at ${this.baseUrl} (${why}); is it running?`);
    }
    const text = await response.text();
    const json = parseJson(text);
    if (response.ok) return json as T;
    const envelope = (json as { error?: { code?: string; message?: string; request_id?: string; details?: object } })
      ?.error;
    const requestId = envelope?.request_id ?? response.headers.get("x-request-id") ?? undefined;
    const message = envelope?.message ?? (text.slice(0, 200) || response.statusText);
    const details = envelope?.details as Record<string, unknown> | undefined;
    throw new ApiError(response.status, envelope?.code ?? `http_${response.status}`, message, requestId, details);
  }

  createJob(body: CreateJobRequest): Promise<Job> {
    return this.request("POST", "/v1/jobs", body, { "idempotency-key": crypto.randomUUID() });
  }

  getJob(id: string): Promise<Job> {
    return this.request("GET", `/v1/jobs/${encodeURIComponent(id)}`);
  }

  listJobs(query: { status?: string; type?: string; limit?: number; cursor?: string }): Promise<JobPage> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.size > 0 ? `?${params}` : "";
    return this.request("GET", `/v1/jobs${search}`);
  }

  cancelJob(id: string): Promise<Job> {
    return this.request("POST", `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  jobOutputs(id: string): Promise<JobOutputs> {
    return this.request("GET", `/v1/jobs/${encodeURIComponent(id)}/outputs`);
  }

  createUpload(contentType: string, size: number): Promise<Upload> {
    return this.request("POST", "/v1/uploads", { content_type: contentType, size });
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The lines an ApiError prints: `code: message`, one line per field detail, and the request id. */
export function describeApiError(error: ApiError): string[] {
  const lines = [`error: ${error.code}: ${error.message}`];
  const details = error.details ?? {};
  const fields = Object.entries(details).filter(([, v]) => typeof v === "string");
  // A single field's message is already the message (`params.width: …`); list them when there are several.
  if (fields.length > 1) for (const [field, message] of fields) lines.push(`  ${field}: ${message}`);
  if (error.requestId) lines.push(`  request id: ${error.requestId}`);
  return lines;
}
