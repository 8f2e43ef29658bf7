/** GET /v1/admin/workers: the workers, newest first, with whether each is online; revoked ones on request. */
import { z } from "@hono/zod-openapi";
import { AdminWorker } from "../../../../shared/api/admin_workers.ts";
import { toAdminWorker, type WorkerRow, workerColumns } from "../admin/admin_rows.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";

const Query = PageQuery.extend({
  include_revoked: z
    .enum(["true", "false"], { error: "include_revoked must be true or false" })
    .default("false")
    .openapi({ param: { name: "include_revoked", in: "query" }, description: "Also list revoked workers." }),
});
const Position = z.tuple([z.iso.datetime(), z.uuid()]);

export function registerAdminWorkersList(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "get",
      path: "/v1/admin/workers",
      tags: ["Admin"],
      summary: "List workers",
      request: { query: Query },
      responses: {
        200: {
          description: "A page of workers (never their tokens).",
          content: { "application/json": { schema: pageSchema(AdminWorker, "AdminWorkerPage") } },
        },
      },
    },
  );
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
