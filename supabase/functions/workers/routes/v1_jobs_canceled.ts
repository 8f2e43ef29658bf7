/**
 * POST /v1/jobs/:id/canceled: the worker stopped the job because a heartbeat said its owner asked to
 * (kiln.report_canceled): canceled and refunded. Without a cancel request it is 409 invalid_state: report a
 * failure instead.
 */
import { CanceledRequest } from "../../../../shared/worker_protocol.ts";
import type { WorkersDeps } from "../deps.ts";
import { jobIdParam, validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { type ReportedJob, reportJob } from "../jobs/held_job.ts";

export function registerJobsCanceled(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/jobs/:id/canceled", async (c) => {
    const id = jobIdParam(c);
    const body = await validBody(c, CanceledRequest);
    return c.json(
      await reportJob(
        deps.sql<ReportedJob[]>`
        select kiln.report_canceled(${id}, ${c.get("worker").id}, ${body.fencing_token}::bigint) as job`,
        deps.config,
      ),
    );
  });
}
