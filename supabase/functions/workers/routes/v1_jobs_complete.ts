/**
 * POST /v1/jobs/:id/complete: the job succeeded with these outputs (kiln.complete_job), reported with the
 * claim's fencing token. Every output must be a file the uploads call placed, `<owner>/<job>/<name>` in the
 * `outputs` bucket, and must be there: a path elsewhere or a file never uploaded is refused (422), so a job's
 * outputs are always its owner's and always exist. A stale token is 409 lease_lost.
 */
import type postgres from "postgres";
import { CompleteRequest } from "../../../../shared/worker_protocol.ts";
import type { WorkersDeps } from "../deps.ts";
import { invalidFields, jobIdParam, validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { heldJobOwner, outputFolder, type ReportedJob, reportJob } from "../jobs/held_job.ts";
import { outputIssues } from "../jobs/reported_outputs.ts";

export function registerJobsComplete(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/jobs/:id/complete", async (c) => {
    const id = jobIdParam(c);
    const body = await validBody(c, CompleteRequest);
    const worker = c.get("worker");
    const sql = deps.sql;
    const folder = outputFolder(await heldJobOwner(sql, id, worker.id, body.fencing_token), id);
    const [issues] = await outputIssues(sql, [{ folder, paths: body.outputs.map((o) => o.path) }]);
    if (issues.length > 0) invalidFields(issues);
    const outputs = sql.json(body.outputs as postgres.JSONValue);
    return c.json(
      await reportJob(
        sql<ReportedJob[]>`
        select kiln.complete_job(${id}, ${worker.id}, ${body.fencing_token}::bigint, ${outputs}) as job`,
        deps.config,
      ),
    );
  });
}
