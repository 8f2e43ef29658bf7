/**
 * Every request: an id (the caller's x-request-id if sane, else a new one) echoed in `x-request-id`, a JSON
 * log line when it ends (never a secret or token), and, for bodies, the size limit (413) and JSON only (415).
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorResponse, fail } from "./errors.ts";

/** One structured log line; the default writes JSON to stdout. */
export type LogLine = (entry: Record<string, unknown>) => void;

/** The default log: one JSON object per line on stdout, where Supabase collects a function's logs. */
export const stdoutLog: LogLine = (entry) => console.log(JSON.stringify(entry));

/** Who made the request, for its log line (never a secret). */
// biome-ignore lint/suspicious/noExplicitAny: each function's app has its own context variables.
export type CallerOf = (c: Context<any>) => Record<string, unknown> | null;

/** The middleware of every function's app, `callerOf` saying who called. */
export function requestContext(maxBodyBytes: number, log: LogLine, callerOf: CallerOf): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId = given && /^[\w.-]{8,128}$/.test(given) ? given : `req_${crypto.randomUUID()}`;
    c.set("requestId", requestId);
    // Set before the handler answers: a header added to a finished response makes @hono/node-server rebuild
    // it as a whole Response, which cost GET /v1/jobs/:id 6% of its CPU under Node.
    c.header("x-request-id", requestId);
    const started = performance.now();
    try {
      checkBody(c.req.raw, maxBodyBytes);
      await next();
    } catch (error) {
      c.res = errorResponse(c, error);
    }
    log({
      level: "info",
      request_id: requestId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      duration_ms: Math.round(performance.now() - started),
      principal: callerOf(c),
    });
  };
}

function checkBody(request: Request, maxBodyBytes: number): void {
  if (!["POST", "PUT", "PATCH"].includes(request.method)) return;
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > maxBodyBytes)
    fail("payload_too_large", `The body may be at most ${maxBodyBytes} bytes.`, { limit: maxBodyBytes });
  const type = request.headers.get("content-type") ?? "";
  if (length > 0 && !/^application\/json\b/i.test(type)) fail("unsupported_media_type");
}
