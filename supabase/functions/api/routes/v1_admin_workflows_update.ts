/** PATCH /v1/admin/workflows/{id}: changes the fields given; the others keep their values. */
import { AdminWorkflow, AdminWorkflowUpdateBody } from "../../../../shared/api/admin_workflows.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { JsonValue } from "../admin/admin_rows.ts";
import { BODY_ERRORS, failOnConstraint, toAdminWorkflow, type WorkflowRow } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { WorkflowIdParams } from "./v1_admin_workflows_get.ts";

const JSON_COLUMNS = new Set(["graph", "bindings", "cost_rule"]);

export function registerAdminWorkflowsUpdate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "patch",
      path: "/v1/admin/workflows/{id}",
      tags: ["Admin"],
      summary: "Update a workflow",
      request: {
        params: WorkflowIdParams,
        body: { required: true, content: { "application/json": { schema: AdminWorkflowUpdateBody } } },
      },
      responses: {
        200: {
          description: "The workflow after the change.",
          content: { "application/json": { schema: AdminWorkflow } },
        },
      },
      errors: [...BODY_ERRORS, "not_found", "conflict"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const sql = deps.sql;
    const changed = Object.entries(body).filter(([, value]) => value !== undefined);
    if (changed.length === 0) fail("validation_failed", "Give at least one field to change.", { "(body)": "empty" });
    // Column names come from the strict schema's keys, never from the caller's free text.
    const sets = changed.map(([column, value]) =>
      JSON_COLUMNS.has(column)
        ? sql`${sql(column)} = ${sql.json(value as JsonValue)}`
        : sql`${sql(column)} = ${value as string}`,
    );
    const assignments = sets.reduce((all, set) => sql`${all}, ${set}`);
    const audit = auditInsert(sql, auditActor(c.get("principal"), clientIp(c.req.raw.headers, deps.config)), {
      action: "workflow.updated",
      targetType: "workflow",
      source: "w",
      details: { fields: changed.map(([column]) => column) },
    });
    const [row] = await sql<WorkflowRow[]>`
      with w as (
        update public.workflows set ${assignments}, updated_at = now() where id = ${id} returning *
      ), a as (${audit})
      select * from w`.catch((error) => failOnConstraint(error, "workflow"));
    if (!row) fail("not_found", "No workflow has this id.");
    return c.json(toAdminWorkflow(row), 200);
  });
}
