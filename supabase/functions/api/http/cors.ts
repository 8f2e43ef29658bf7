/**
 * CORS for browsers calling the API from the allow-listed origins (`*`: any). A preflight (OPTIONS) is
 * answered at once with 204; other requests get their headers before the handler answers. Hono's own cors
 * middleware writes them into the response object before it exists, which makes @hono/node-server rebuild
 * every response as a whole Response (8% of GET /v1/jobs/:id's CPU under Node).
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./api_types.ts";

export interface CorsOptions {
  /** Allowed origins; `*` allows any. */
  origins: string[];
  /** Request headers a browser may send. */
  allowHeaders: string[];
  /** Response headers a browser script may read. */
  exposeHeaders: string[];
  /** How long a browser may keep a preflight's answer, seconds. */
  maxAgeSeconds: number;
}

const METHODS = "GET,HEAD,POST,PUT,PATCH,DELETE";

export function cors(options: CorsOptions): MiddlewareHandler<ApiEnv> {
  const any = options.origins.includes("*");
  const allowHeaders = options.allowHeaders.join(",");
  const exposeHeaders = options.exposeHeaders.join(",");
  /** The Access-Control-Allow-Origin for a request from `origin`, if allowed. */
  const allowed = (origin: string | undefined) => (any ? "*" : origin && options.origins.includes(origin) && origin);
  return async (c, next) => {
    const origin = allowed(c.req.header("origin"));
    if (origin) c.header("Access-Control-Allow-Origin", origin);
    // The answer depends on the origin unless every origin gets the same one.
    if (!any) c.header("Vary", "Origin");
    if (c.req.method === "OPTIONS") {
      if (origin) {
        c.header("Access-Control-Allow-Methods", METHODS);
        c.header("Access-Control-Allow-Headers", allowHeaders);
        c.header("Access-Control-Max-Age", String(options.maxAgeSeconds));
      }
      return c.body(null, 204);
    }
    if (origin) c.header("Access-Control-Expose-Headers", exposeHeaders);
    await next();
  };
}
