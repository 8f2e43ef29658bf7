/**
 * The worker protocol (shared/worker_protocol.ts), as one Hono app (`newApp(deps)`): what GPU workers call to
 * register, claim, heartbeat, upload and report. `index.ts` serves it under Deno on Supabase; the local stack
 * and the tests mount this same app. Everything under /workers (Supabase strips /functions/v1). Errors, the
 * request id and the log line are the API's; the caller is a worker, authenticated by its token.
 */
import { type Context, Hono } from "hono";
import { KilnError } from "../../../shared/errors.ts";
import { bodyChecks } from "../_shared/http/body_checks.ts";
import { errorResponse } from "../_shared/http/errors.ts";
import { requestContext } from "../_shared/http/request_context.ts";
import { requireWorker } from "./auth/require_worker.ts";
import type { WorkersDeps } from "./deps.ts";
import type { WorkersApp, WorkersEnv } from "./http/workers_types.ts";
import { registerRoutes } from "./routes/index.ts";

/** The worker in a request's log line: its id, never its token. */
const workerCaller = (c: Context<WorkersEnv>) => {
  const worker = c.get("worker");
  return worker ? { kind: "worker", worker: worker.id } : null;
};

export function newApp(deps: WorkersDeps): WorkersApp {
  const app: WorkersApp = new Hono<WorkersEnv>().basePath("/workers");
  const maxBytes = deps.config.KILN_MAX_BODY_BYTES;
  app.use("*", requestContext(maxBytes, deps.log, workerCaller));
  const [limitBody, safeBodyText] = bodyChecks(maxBytes);
  app.post("*", limitBody, safeBodyText);
  app.use("/v1/*", requireWorker(deps.sql));
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) =>
    errorResponse(c, new KilnError("not_found", `No route ${c.req.method} ${new URL(c.req.url).pathname}.`)),
  );
  registerRoutes(app, deps);
  return app;
}
