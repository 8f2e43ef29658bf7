/**
 * POST /v1/jobs/:id/uploads: signed upload URLs for a job's output files, for the worker that holds it with
 * this fencing token only. Each file goes to `<owner>/<job>/<name>` in the `outputs` bucket; the worker PUTs
 * it there and lists the paths when it completes. A retried attempt may replace its predecessor's files.
 */
import { UploadsRequest, type UploadsResponse } from "../../../../shared/worker_protocol.ts";
import { OUTPUTS_BUCKET } from "../../_shared/storage/buckets.ts";
import type { WorkersDeps } from "../deps.ts";
import { invalidFields, jobIdParam, validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { heldJobOwner, outputFolder } from "../jobs/held_job.ts";

export function registerJobsUploads(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/jobs/:id/uploads", async (c) => {
    const id = jobIdParam(c);
    const body = await validBody(c, UploadsRequest);
    const names = body.files.map((f) => f.name);
    const repeated = names.findIndex((name, i) => names.indexOf(name) !== i);
    if (repeated >= 0)
      invalidFields([{ path: ["files", repeated, "name"], message: `${names[repeated]} is named twice` }]);
    const folder = outputFolder(await heldJobOwner(deps.sql, id, c.get("worker").id, body.fencing_token), id);
    const uploads = await Promise.all(
      names.map(async (name) => {
        const path = `${folder}${name}`;
        const signed = await deps.storage.signUpload(OUTPUTS_BUCKET, path, { upsert: true });
        return { name, path, signed_url: signed.url, token: signed.token };
      }),
    );
    const response: UploadsResponse = { uploads };
    return c.json(response);
  });
}
