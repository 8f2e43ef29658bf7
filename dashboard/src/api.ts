/**
 * The api function, called as any frontend calls it: its URL and the signed-in user's access token. A refusal
 * becomes an ApiError carrying the envelope's code, message and request id, which the pages show as they are.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly requestId: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, requestId: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }
}

export interface Api {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiClient(apiUrl: string, token: () => Promise<string | undefined>): Api {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = {};
      const jwt = await token();
      if (jwt) headers.authorization = `Bearer ${jwt}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      const json = text ? JSON.parse(text) : undefined;
      if (!response.ok) {
        const error = json?.error ?? {};
        throw new ApiError(
          error.code ?? "http_error",
          error.message ?? `HTTP ${response.status}`,
          error.request_id ?? response.headers.get("x-request-id") ?? "",
          error.details,
        );
      }
      return json as T;
    },
  };
}

/** An error as a page shows it: the message, and the request id to report. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message}${error.requestId ? ` (request ${error.requestId})` : ""}`;
  return error instanceof Error ? error.message : String(error);
}
