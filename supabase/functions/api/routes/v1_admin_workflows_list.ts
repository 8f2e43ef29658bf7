/** GET /v1/admin/workflows: every stored workflow (global and per account), newest first. */
import { z } from "@hono/zod-openapi";
import { AdminWorkflow } from "../../../../shared/api/admin_workflows.ts";
import { toAdminWorkflow, type WorkflowRow } from "../admin/admin_rows.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";

const Query = PageQuery.extend({
  owner_id: z
    .uuid()
    .optional()
    .openapi({ param: { name: "owner_id", in: "query" }, description: "Only this account's workflows." }),
});
const Position = z.tuple([z.iso.datetime(), z.uuid()]);

export function registerAdminWorkflowsList(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "get",
      path: "/v1/admin/workflows",
      tags: ["Admin"],
      summary: "List workflows",
      request: { query: Query },
      responses: {
        200: {
          description: "A page of workflows.",
          content: { "application/json": { schema: pageSchema(AdminWorkflow, "AdminWorkflowPage") } },
        },
      },
    },
  );
  app.openapi(route, async (c) => {
    const { limit, cursor, owner_id } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, Position) : undefined;
    const sql = deps.sql;
    const rows = await sql<WorkflowRow[]>`
      select * from public.workflows w
       where true
         ${owner_id ? sql`and w.owner_id = ${owner_id}` : sql``}
         ${after ? sql`and (w.created_at, w.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
       order by w.created_at desc, w.id desc
       limit ${limit + 1}`;
    return c.json(
      toPage(rows, limit, (r) => [r.created_at.toISOString(), r.id], toAdminWorkflow),
      200,
    );
  });
}
