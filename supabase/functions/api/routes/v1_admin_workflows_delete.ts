/** DELETE /v1/admin/workflows/{id}: removes a workflow; jobs that ran it keep their history (workflow_id null). */
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { WorkflowIdParams } from "./v1_admin_workflows_get.ts";

export function registerAdminWorkflowsDelete(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "delete",
      path: "/v1/admin/workflows/{id}",
      tags: ["Admin"],
      summary: "Delete a workflow",
      request: { params: WorkflowIdParams },
      responses: {
        204: { description: "Deleted." },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const sql = deps.sql;
    const audit = auditInsert(sql, auditActor(c.get("principal"), clientIp(c.req.raw.headers, deps.config)), {
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
