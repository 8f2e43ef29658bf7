/**
 * POST /v1/jobs/:id/complete: the job succeeded with these outputs (kiln.complete_job), reported with the
 * claim's fencing token. Every output must be a file the uploads call placed, `<owner>/<job>/<name>` in the
 * `outputs` bucket, and must be there: a path elsewhere or a file never uploaded is refused (422), so a job's
 * outputs are always its owner's and always exist. A stale token is 409 lease_lost.
 */
import type postgres from "postgres";
import { CompleteRequest } from "../../../../shared/worker_protocol.ts";
import { OUTPUTS_BUCKET } from "../../_shared/storage/buckets.ts";
import type { WorkersDeps } from "../deps.ts";
import { invalidFields, jobIdParam, validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { heldJobOwner, isOutputPath, outputFolder, type ReportedJob, reportJob } from "../jobs/held_job.ts";

export function registerJobsComplete(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/jobs/:id/complete", async (c) => {
    const id = jobIdParam(c);
    const body = await validBody(c, CompleteRequest);
    const worker = c.get("worker");
    const sql = deps.sql;
    const folder = outputFolder(await heldJobOwner(sql, id, worker.id, body.fencing_token), id);
    const paths = body.outputs.map((o) => o.path);
    const elsewhere = paths.flatMap((path, i) => (isOutputPath(path, folder) ? [] : [i]));
    if (elsewhere.length > 0) {
      invalidFields(elsewhere.map((i) => ({ path: ["outputs", i, "path"], message: `must be ${folder}<name>` })));
    }
    const stored = await sql<{ name: string }[]>`
      select o.name from storage.objects o where o.bucket_id = ${OUTPUTS_BUCKET} and o.name = any(${paths}::text[])`;
    const found = new Set(stored.map((o) => o.name));
    const missing = paths.flatMap((path, i) => (found.has(path) ? [] : [i]));
    if (missing.length > 0) {
      invalidFields(missing.map((i) => ({ path: ["outputs", i, "path"], message: "no file was uploaded there" })));
    }
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
