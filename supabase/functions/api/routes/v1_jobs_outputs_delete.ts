/**
 * DELETE /v1/jobs/{id}/outputs: removes a finished job's output files from Storage and empties its outputs.
 * Refused (409) while the job is queued or running, since its worker may still be writing them.
 */
import { z } from "@hono/zod-openapi";
import { JobIdParams } from "../../../../shared/api/id_param.ts";
import { FINAL_STATUSES } from "../../../../shared/job_states.ts";
import { fail } from "../../_shared/http/errors.ts";
import { OUTPUTS_BUCKET } from "../../_shared/storage/buckets.ts";
import type { ObjectStorage } from "../../_shared/storage/object_storage.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { jobOutputs } from "../jobs/job_outputs.ts";

const Deleted = z
  .object({ job_id: z.uuid(), deleted: z.number().int().openapi({ description: "How many files were removed." }) })
  .openapi("JobOutputsDeleted");

export function registerJobsOutputsDelete(app: ApiApp, deps: ApiDeps, storage: ObjectStorage): void {
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:write" },
    {
      method: "delete",
      path: "/v1/jobs/{id}/outputs",
      tags: ["Jobs"],
      summary: "Delete a job's outputs",
      request: { params: JobIdParams },
      responses: {
        200: {
          description: "The files are gone; the job's outputs are now [].",
          content: { "application/json": { schema: Deleted } },
        },
      },
      errors: ["not_found", "invalid_state"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const owner = c.get("principal").userId;
    const { status, outputs } = await jobOutputs(deps.sql, id, owner);
    if (!FINAL_STATUSES.includes(status)) {
      fail("invalid_state", `Job ${id} is ${status}; delete its outputs once it has finished.`, { status });
    }
    // Files first: if Storage fails, the job still lists them and the call can be repeated.
    await storage.remove(
      OUTPUTS_BUCKET,
      outputs.map((o) => o.path),
    );
    await deps.sql`update public.jobs set outputs = '[]' where id = ${id} and owner_id = ${owner}`;
    return c.json({ job_id: id, deleted: outputs.length }, 200);
  });
}
