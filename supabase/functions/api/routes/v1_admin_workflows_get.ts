/** GET /v1/admin/workflows/{id}: one stored workflow, graph included. */
import { z } from "@hono/zod-openapi";
import { AdminWorkflow } from "../../../../shared/api/admin_workflows.ts";
import { fail } from "../../_shared/http/errors.ts";
import { toAdminWorkflow, type WorkflowRow } from "../admin/admin_rows.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

/** The `{id}` path parameter of the workflow routes. */
export const WorkflowIdParams = z.strictObject({
  id: z.uuid({ error: "id must be a workflow id (a UUID)" }).openapi({ param: { name: "id", in: "path" } }),
});

export function registerAdminWorkflowsGet(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "get",
      path: "/v1/admin/workflows/{id}",
      tags: ["Admin"],
      summary: "Get a workflow",
      request: { params: WorkflowIdParams },
      responses: {
        200: { description: "The workflow.", content: { "application/json": { schema: AdminWorkflow } } },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const [row] = await deps.sql<WorkflowRow[]>`select * from public.workflows where id = ${id}`;
    if (!row) fail("not_found", "No workflow has this id.");
    return c.json(toAdminWorkflow(row), 200);
  });
}
