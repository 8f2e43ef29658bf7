/** POST /v1/admin/workflows: stores a ComfyUI workflow, global (owner_id null) or for one account. */
import { AdminWorkflow, AdminWorkflowCreateBody } from "../../../../shared/api/admin_workflows.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import type { JsonValue } from "../admin/admin_rows.ts";
import { BODY_ERRORS, failOnConstraint, toAdminWorkflow, type WorkflowRow } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

export function registerAdminWorkflowsCreate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "post",
      path: "/v1/admin/workflows",
      tags: ["Admin"],
      summary: "Create a workflow",
      request: { body: { required: true, content: { "application/json": { schema: AdminWorkflowCreateBody } } } },
      responses: {
        201: { description: "The stored workflow.", content: { "application/json": { schema: AdminWorkflow } } },
      },
      errors: [...BODY_ERRORS, "not_found", "conflict"],
    },
  );
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const sql = deps.sql;
    const audit = auditInsert(sql, auditActor(c.get("principal"), clientIp(c.req.raw.headers, deps.config)), {
      action: "workflow.created",
      targetType: "workflow",
      source: "w",
      details: { name: body.name, owner_id: body.owner_id ?? null },
    });
    const [row] = await sql<WorkflowRow[]>`
      with w as (
        insert into public.workflows (owner_id, name, description, job_type, graph, bindings, cost_rule, enabled,
                                      execution_timeout_seconds)
        values (${body.owner_id ?? null}, ${body.name}, ${body.description ?? null}, ${body.job_type ?? "workflow"},
                ${sql.json(body.graph as JsonValue)}, ${sql.json((body.bindings ?? {}) as JsonValue)},
                ${sql.json((body.cost_rule ?? { base: 10 }) as JsonValue)}, ${body.enabled ?? true},
                ${body.execution_timeout_seconds ?? null})
        returning *
      ), a as (${audit})
      select * from w`.catch((error) => failOnConstraint(error, "workflow"));
    return c.json(toAdminWorkflow(row), 201);
  });
}
