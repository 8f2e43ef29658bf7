/** GET /v1/admin/workflows/{id}: one stored workflow, graph included. */
import { createRoute, z } from "@hono/zod-openapi";
import { AdminWorkflow } from "../../../../shared/api/admin_workflows.ts";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import { fail } from "../../_shared/http/errors.ts";
import { ADMIN_AUTH_ERRORS, toAdminWorkflow, type WorkflowRow } from "../admin/admin_rows.ts";
import { requireAuth } from "../auth/require_auth.ts";
import type { ApiDeps } from "../deps.ts";
import { type ApiApp, CALLER_SECURITY } from "../http/api_types.ts";

/** The `{id}` path parameter of the workflow routes. */
export const WorkflowIdParams = z.strictObject({
  id: z.uuid({ error: "id must be a workflow id (a UUID)" }).openapi({ param: { name: "id", in: "path" } }),
});

export function registerAdminWorkflowsGet(app: ApiApp, deps: ApiDeps): void {
  const route = createRoute({
    method: "get",
    path: "/v1/admin/workflows/{id}",
    tags: ["Admin"],
    summary: "Get a workflow",
    security: CALLER_SECURITY,
    middleware: [requireAuth(deps.auth, { admin: true })] as const,
    request: { params: WorkflowIdParams },
    responses: {
      200: { description: "The workflow.", content: { "application/json": { schema: AdminWorkflow } } },
      ...errorResponses(...ADMIN_AUTH_ERRORS, "not_found", "validation_failed"),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const [row] = await deps.sql<WorkflowRow[]>`select * from public.workflows where id = ${id}`;
    if (!row) fail("not_found", "No workflow has this id.");
    return c.json(toAdminWorkflow(row), 200);
  });
}
