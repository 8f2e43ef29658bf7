/** DELETE /v1/admin/workflows/{id}: removes a workflow; jobs that ran it keep their history (workflow_id null). */
import { createRoute } from "@hono/zod-openapi";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import { ADMIN_AUTH_ERRORS } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import { requireAuth } from "../auth/require_auth.ts";
import type { ApiDeps } from "../deps.ts";
import { type ApiApp, CALLER_SECURITY } from "../http/api_types.ts";
import { WorkflowIdParams } from "./v1_admin_workflows_get.ts";

export function registerAdminWorkflowsDelete(app: ApiApp, deps: ApiDeps): void {
  const route = createRoute({
    method: "delete",
    path: "/v1/admin/workflows/{id}",
    tags: ["Admin"],
    summary: "Delete a workflow",
    security: CALLER_SECURITY,
    middleware: [requireAuth(deps.auth, { admin: true })] as const,
    request: { params: WorkflowIdParams },
    responses: {
      204: { description: "Deleted." },
      ...errorResponses(...ADMIN_AUTH_ERRORS, "not_found", "validation_failed"),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const sql = deps.sql;
    const audit = auditInsert(sql, auditActor(c.get("principal"), clientIp(c.req.raw.headers)), {
      action: "workflow.deleted",
      targetType: "workflow",
      source: "w",
    });
    const rows = await sql`
      with w as (delete from public.workflows where id = ${id} returning id, name, owner_id), a as (${audit})
      select id from w`;
    if (rows.length === 0) fail("not_found", "No workflow has this id.");
    return c.body(null, 204);
  });
}
