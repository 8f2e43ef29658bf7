/** GET /v1/jobs/{id}: one of the caller's jobs, with its queue position, warnings and (?include=events) its log. */
import { z } from "@hono/zod-openapi";
import { JobIdParams } from "../../../../shared/api/id_param.ts";
import { Job } from "../../../../shared/api/job_schema.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { loadJob } from "../jobs/job_view.ts";

const Query = z.strictObject(
  {
    include: z
      .enum(["events"], { error: "include may only be events" })
      .optional()
      .openapi({ description: "`events` adds the job's event log." }),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "the only query parameter is include" : undefined) },
);

export function registerJobsGet(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:read" },
    {
      method: "get",
      path: "/v1/jobs/{id}",
      tags: ["Jobs"],
      summary: "Get a job",
      request: { params: JobIdParams, query: Query },
      responses: {
        200: { description: "The job.", content: { "application/json": { schema: Job } } },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const { include } = c.req.valid("query");
    return c.json(await loadJob(deps, id, c.get("principal").userId, { events: include === "events" }), 200);
  });
}
