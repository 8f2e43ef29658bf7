/** GET /v1/admin/workers: the workers, newest first, with whether each is online; revoked ones on request. */
import { createRoute, z } from "@hono/zod-openapi";
import { AdminWorker } from "../../../../shared/api/admin_workers.ts";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import { ADMIN_AUTH_ERRORS, toAdminWorker, type WorkerRow, workerColumns } from "../admin/admin_rows.ts";
import { requireAuth } from "../auth/require_auth.ts";
import type { ApiDeps } from "../deps.ts";
import { type ApiApp, CALLER_SECURITY } from "../http/api_types.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";

const Query = PageQuery.extend({
  include_revoked: z
    .enum(["true", "false"], { error: "include_revoked must be true or false" })
    .default("false")
    .openapi({ param: { name: "include_revoked", in: "query" }, description: "Also list revoked workers." }),
});
const Position = z.tuple([z.iso.datetime(), z.uuid()]);

export function registerAdminWorkersList(app: ApiApp, deps: ApiDeps): void {
  const route = createRoute({
    method: "get",
    path: "/v1/admin/workers",
    tags: ["Admin"],
    summary: "List workers",
    security: CALLER_SECURITY,
    middleware: [requireAuth(deps.auth, { admin: true })] as const,
    request: { query: Query },
    responses: {
      200: {
        description: "A page of workers (never their tokens).",
        content: { "application/json": { schema: pageSchema(AdminWorker, "AdminWorkerPage") } },
      },
      ...errorResponses(...ADMIN_AUTH_ERRORS, "validation_failed"),
    },
  });
  app.openapi(route, async (c) => {
    const { limit, cursor, include_revoked } = c.req.valid("query");
    const after = cursor ? decodeCursor(cursor, Position) : undefined;
    const sql = deps.sql;
    const rows = await sql<WorkerRow[]>`
      select ${workerColumns(sql)} from public.workers w
       where true
         ${include_revoked === "true" ? sql`` : sql`and w.revoked_at is null`}
         ${after ? sql`and (w.created_at, w.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
       order by w.created_at desc, w.id desc
       limit ${limit + 1}`;
    return c.json(
      toPage(rows, limit, (r) => [r.created_at.toISOString(), r.id], toAdminWorker),
      200,
    );
  });
}
