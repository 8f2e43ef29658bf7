/**
 * POST /v1/jobs/{id}/cancel: a queued job ends canceled (and refunded) now; a running one is asked to stop
 * (`cancel_requested`) and ends when its worker reports. A finished job cannot be canceled (409).
 */
import { JobIdParams } from "../../../../shared/api/id_param.ts";
import { Job } from "../../../../shared/api/job_schema.ts";
import { kickDispatch } from "../../_shared/dispatch_kick.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { loadJob } from "../jobs/job_view.ts";

export function registerJobsCancel(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:write" },
    {
      method: "post",
      path: "/v1/jobs/{id}/cancel",
      tags: ["Jobs"],
      summary: "Cancel a job",
      request: { params: JobIdParams },
      responses: {
        200: {
          description: "Canceled (queued job) or cancel requested (running job).",
          content: { "application/json": { schema: Job } },
        },
      },
      errors: ["not_found", "invalid_state"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const owner = c.get("principal").userId;
    await deps.sql`select kiln.cancel_job(${id}, ${owner})`;
    kickDispatch(deps.config);
    return c.json(await loadJob(deps, id, owner), 200);
  });
}
