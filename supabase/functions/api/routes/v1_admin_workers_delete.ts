/**
 * DELETE /v1/admin/workers/{id}: revokes a worker's token. Its next claim, heartbeat or report is refused
 * (worker_unauthorized) and the reaper re-queues what it held when its leases run out. Idempotent.
 */
import { z } from "@hono/zod-openapi";
import { AdminWorker } from "../../../../shared/api/admin_workers.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import { toAdminWorker, type WorkerRow, workerColumns } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

const Params = z.strictObject({
  id: z.uuid({ error: "id must be a worker id (a UUID)" }).openapi({ param: { name: "id", in: "path" } }),
});

export function registerAdminWorkersDelete(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "delete",
      path: "/v1/admin/workers/{id}",
      tags: ["Admin"],
      summary: "Revoke a worker",
      request: { params: Params },
      responses: {
        200: { description: "The revoked worker.", content: { "application/json": { schema: AdminWorker } } },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const sql = deps.sql;
    const audit = auditInsert(sql, auditActor(c.get("principal"), clientIp(c.req.raw.headers, deps.config)), {
      action: "worker.revoked",
      targetType: "worker",
      source: "revoked",
    });
    // Only a first revocation changes the row and writes an audit row; a repeat answers with the worker as is.
    const [row] = await sql<WorkerRow[]>`
      with revoked as (
        update public.workers set revoked_at = now() where id = ${id} and revoked_at is null returning *
      ), a as (${audit}),
      w as (select * from revoked union all select * from public.workers where id = ${id} and revoked_at is not null)
      select ${workerColumns(sql)} from w`;
    if (!row) fail("not_found", "No worker has this id.");
    return c.json(toAdminWorker(row), 200);
  });
}
