/** GET /v1/workflows: the stored workflows the caller can run (global ones and their own), with their inputs. */
import { z } from "@hono/zod-openapi";
import { Bindings, CostRule } from "../../../../shared/job_types/workflow_bindings.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

const Workflow = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    job_type: z.string().openapi({ description: "`workflow`, or the built-in type whose graph it replaces." }),
    shared: z.boolean().openapi({ description: "true: offered to every account; false: yours." }),
    inputs: Bindings.openapi({ description: "What `params.inputs` may set, by name." }),
    cost_rule: CostRule,
    created_at: z.iso.datetime(),
  })
  .openapi("Workflow");

const Workflows = z.object({ data: z.array(Workflow) }).openapi("WorkflowList");

export function registerWorkflowsList(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:read" },
    {
      method: "get",
      path: "/v1/workflows",
      tags: ["Jobs"],
      summary: "List the workflows you can run",
      responses: {
        200: { description: "Enabled workflows, by name.", content: { "application/json": { schema: Workflows } } },
      },
    },
  );
  app.openapi(route, async (c) => {
    const rows = await deps.sql<z.infer<typeof Workflow>[]>`
      select w.id, w.name, w.description, w.job_type, w.owner_id is null as shared, w.bindings as inputs,
             w.cost_rule, to_jsonb(w.created_at) #>> '{}' as created_at
        from public.workflows w
       where w.enabled and (w.owner_id is null or w.owner_id = ${c.get("principal").userId})
       order by w.name, w.id`;
    return c.json({ data: rows }, 200);
  });
}
