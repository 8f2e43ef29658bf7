/** GET /v1/jobs/{id}: one of the caller's jobs, with its queue position, warnings and (?include=events) its log. */
import { createRoute, z } from "@hono/zod-openapi";
import { CREDENTIAL_ERRORS, errorResponses } from "../../../../shared/api/error_schema.ts";
import { JobIdParams } from "../../../../shared/api/id_param.ts";
import { Job } from "../../../../shared/api/job_schema.ts";
import { requireAuth } from "../auth/require_auth.ts";
import type { ApiDeps } from "../deps.ts";
import { type ApiApp, CALLER_SECURITY } from "../http/api_types.ts";
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
  const route = createRoute({
    method: "get",
    path: "/v1/jobs/{id}",
    tags: ["Jobs"],
    summary: "Get a job",
    security: CALLER_SECURITY,
    middleware: [requireAuth(deps.auth, { scope: "jobs:read" })] as const,
    request: { params: JobIdParams, query: Query },
    responses: {
      200: { description: "The job.", content: { "application/json": { schema: Job } } },
      ...errorResponses(...CREDENTIAL_ERRORS, "missing_scope", "not_found", "validation_failed", "rate_limited"),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const { include } = c.req.valid("query");
    return c.json(await loadJob(deps, id, c.get("principal").userId, { events: include === "events" }), 200);
  });
}
