/** Every route of the worker protocol: the worker itself (register, deregister), claims, and per-job calls. */
import type { WorkersDeps } from "../deps.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { registerClaim } from "./v1_claim.ts";
import { registerDeregister } from "./v1_deregister.ts";
import { registerHeartbeat } from "./v1_heartbeat.ts";
import { registerJobsCanceled } from "./v1_jobs_canceled.ts";
import { registerJobsComplete } from "./v1_jobs_complete.ts";
import { registerJobsCompleteMany } from "./v1_jobs_complete_many.ts";
import { registerJobsFail } from "./v1_jobs_fail.ts";
import { registerJobsUploads } from "./v1_jobs_uploads.ts";
import { registerRegister } from "./v1_register.ts";

export function registerRoutes(app: WorkersApp, deps: WorkersDeps): void {
  registerRegister(app, deps);
  registerDeregister(app, deps);
  registerClaim(app, deps);
  registerHeartbeat(app, deps);
  registerJobsUploads(app, deps);
  registerJobsComplete(app, deps);
  registerJobsCompleteMany(app, deps);
  registerJobsFail(app, deps);
  registerJobsCanceled(app, deps);
}
