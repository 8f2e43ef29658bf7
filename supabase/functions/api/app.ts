/**
 * The public API, as one Hono app (`newApp(deps)`). `index.ts` serves it under Deno on Supabase; the local
 * stack and the tests mount this same app. Everything under /api (Supabase strips /functions/v1).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { KilnError } from "../../../shared/errors.ts";
import { bodyChecks } from "../_shared/http/body_checks.ts";
import { errorResponse, validationError } from "../_shared/http/errors.ts";
import { type CallerOf, requestContext } from "../_shared/http/request_context.ts";
import type { ApiDeps } from "./deps.ts";
import type { ApiApp, ApiEnv } from "./http/api_types.ts";
import { cors } from "./http/cors.ts";
import { ipRateLimit } from "./rate_limit/rate_limit.ts";
import { registerRoutes } from "./routes/index.ts";

/** The user or key in a request's log line, never a secret. */
const apiCaller: CallerOf = (c: Context<ApiEnv>) => {
  const principal = c.get("principal");
  return principal ? { kind: principal.kind, user: principal.userId, key: principal.apiKeyId } : null;
};

export function newApp(deps: ApiDeps): ApiApp {
  const app: ApiApp = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return errorResponse(c, validationError(result.error.issues));
    },
  }).basePath("/api");

  app.use("*", requestContext(deps.config.KILN_MAX_BODY_BYTES, deps.log, apiCaller));
  app.use(
    "*",
    cors({
      origins: deps.config.KILN_CORS_ORIGINS,
      allowHeaders: [
        "authorization",
        "x-api-key",
        "content-type",
        "idempotency-key",
        "prefer",
        "x-request-id",
        "apikey",
      ],
      exposeHeaders: [
        "x-request-id",
        "location",
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "idempotent-replayed",
        "preference-applied",
      ],
      maxAgeSeconds: 600,
    }),
  );
  app.use("*", ipRateLimit(deps.limiter, deps.config.KILN_RATE_LIMIT_IP_PER_MINUTE, deps.config));
  // Only where a handler reads a body: asking a request for its body stream makes @hono/node-server build a
  // whole Request, which cost GET /v1/jobs/:id 10% of its CPU under Node.
  const [limitBody, safeBodyText] = bodyChecks(deps.config.KILN_MAX_BODY_BYTES);
  app.on(["POST", "PUT", "PATCH"], "*", limitBody, safeBodyText);
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) =>
    errorResponse(c, new KilnError("not_found", `No route ${c.req.method} ${new URL(c.req.url).pathname}.`)),
  );

  registerRoutes(app, deps);
  return app;
}
