/**
 * POST /v1/jobs/:id/fail: the attempt failed with `{code, message, retryable, node?, details?}`
 * (kiln.fail_job). A retryable failure goes back to the queue after a backoff while attempts remain; any other
 * ends the job failed and refunds its credits. Answers the job as it stands (queued again, or failed).
 */
import type postgres from "postgres";
import { FailRequest } from "../../../../shared/worker_protocol.ts";
import type { WorkersDeps } from "../deps.ts";
import { jobIdParam, validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { type ReportedJob, reportJob } from "../jobs/held_job.ts";

export function registerJobsFail(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/jobs/:id/fail", async (c) => {
    const id = jobIdParam(c);
    const body = await validBody(c, FailRequest);
    const sql = deps.sql;
    const error = sql.json(body.error as postgres.JSONValue);
    return c.json(
      await reportJob(
        sql<ReportedJob[]>`
        select kiln.fail_job(${id}, ${c.get("worker").id}, ${body.fencing_token}::bigint, ${error}) as job`,
        deps.config,
      ),
    );
  });
}
