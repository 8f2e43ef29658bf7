/**
 * One delivery attempt over HTTP: POST the signed body, wait at most `timeoutMs` for the answer, keep its status,
 * the first KB of its body and a 429/503's Retry-After. Redirects are not followed (a receiver that moved must
 * update its URL; following would also let a public host bounce us to a private one) and count as failures.
 */
import { Webhook } from "standardwebhooks";
import type { AttemptResult } from "./outbox.ts";

/** What to send: the JSON body, and the Standard Webhooks message id (the event id). */
export interface WebhookMessage {
  url: string;
  id: string;
  body: string;
  /** Every secret to sign with: the current one, and the previous one during a rotation. */
  secrets: readonly string[];
}

export interface SendOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  userAgent: string;
}

/** Most of a response body kept with the attempt. */
export const EXCERPT_BYTES = 1024;

/**
 * `webhook-signature`: one `v1,<base64 HMAC-SHA256>` per secret, space-separated, as the spec has it for
 * rotations; a receiver verifying with either secret finds its match.
 */
export function signatures(secrets: readonly string[], id: string, at: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(" ");
}

/** Sends `message` once; never throws (a failure is a result with `error`). */
export async function sendWebhook(message: WebhookMessage, options: SendOptions): Promise<AttemptResult> {
  const startedAt = new Date();
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  try {
    const response = await options.fetch(message.url, {
      method: "POST",
      redirect: "manual",
      signal: abort.signal,
      headers: {
        "content-type": "application/json",
        "user-agent": options.userAgent,
        "webhook-id": message.id,
        "webhook-timestamp": String(Math.floor(startedAt.getTime() / 1000)),
        "webhook-signature": signatures(message.secrets, message.id, startedAt, message.body),
      },
      body: message.body,
    });
    const responseExcerpt = await excerpt(response);
    const result: AttemptResult = { startedAt, durationMs: elapsed(), responseCode: response.status, responseExcerpt };
    // A browser-style runtime answers a manual redirect with an opaque response of status 0.
    if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
      const to = response.headers.get("location");
      result.error = `redirect not followed: ${response.status || "3xx"}${to ? ` to ${to}` : ""}; register the final URL`;
    } else if (response.status < 200 || response.status > 299) {
      result.error = `the receiver answered ${response.status}`;
    }
    if (response.status === 429 || response.status === 503) {
      result.retryAfterSeconds = retryAfterSeconds(response.headers.get("retry-after"), Date.now());
    }
    return result;
  } catch (error) {
    const why = abort.signal.aborted ? `timed out after ${options.timeoutMs} ms` : describeFetchError(error);
    return { startedAt, durationMs: elapsed(), error: why };
  } finally {
    clearTimeout(timer);
  }
}

/** The first EXCERPT_BYTES of the body as text (NULs removed: Postgres text cannot hold them); the rest is dropped. */
async function excerpt(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut short or timed out: the status has been seen, which is what decides.
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  // `stream`: a character cut at the edge is left out rather than turned into U+FFFD.
  return new TextDecoder().decode(bytes.subarray(0, EXCERPT_BYTES), { stream: true }).replaceAll("\u0000", "");
}

/** Retry-After in seconds from `nowMs`: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** Node's fetch hides the reason (ECONNREFUSED…) in `cause`. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  return `connection failed: ${String((error as Error).message ?? error)}${detail ? ` (${detail})` : ""}`;
}
