/**
 * The dispatcher, as one Hono app (`newApp(deps)`): webhook delivery and the maintenance sweeps, run on request.
 * `index.ts` serves it under Deno on Supabase; the local stack and the tests mount this same app. Everything under
 * /dispatch (Supabase strips /functions/v1). Errors, the request id and the log line are the API's; callers
 * authenticate with the dispatch secret.
 */
import { Hono } from "hono";
import { KilnError } from "../../../shared/errors.ts";
import { errorResponse } from "../_shared/http/errors.ts";
import { requestContext } from "../_shared/http/request_context.ts";
import type { DispatchDeps } from "./deps.ts";
import type { DispatchApp, DispatchEnv } from "./http/dispatch_types.ts";
import { requireDispatchSecret } from "./http/require_dispatch_secret.ts";
import { registerRun } from "./routes/run.ts";

export function newApp(deps: DispatchDeps): DispatchApp {
  const app: DispatchApp = new Hono<DispatchEnv>().basePath("/dispatch");
  app.use(
    "*",
    requestContext(deps.config.KILN_MAX_BODY_BYTES, deps.log, () => ({ kind: "dispatcher" })),
  );
  app.use("*", requireDispatchSecret(deps.config.KILN_DISPATCH_SECRET));
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) =>
    errorResponse(c, new KilnError("not_found", `No route ${c.req.method} ${new URL(c.req.url).pathname}.`)),
  );
  registerRun(app, deps);
  return app;
}
