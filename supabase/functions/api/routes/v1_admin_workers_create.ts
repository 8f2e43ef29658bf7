/** POST /v1/admin/workers: a new GPU worker and its token, shown in this response only. */
import { AdminWorkerCreateBody, AdminWorkerCreated } from "../../../../shared/api/admin_workers.ts";
import { newWorkerToken } from "../../_shared/auth/worker_tokens.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { BODY_ERRORS, toAdminWorker, type WorkerRow, workerColumns } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

export function registerAdminWorkersCreate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "post",
      path: "/v1/admin/workers",
      tags: ["Admin"],
      summary: "Create a worker",
      description: "The token is in this response only: give it to the worker as KILN_WORKER_TOKEN.",
      request: { body: { required: true, content: { "application/json": { schema: AdminWorkerCreateBody } } } },
      responses: {
        201: {
          description: "The worker, with its token shown this once.",
          content: { "application/json": { schema: AdminWorkerCreated } },
        },
      },
      errors: [...BODY_ERRORS],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    const sql = deps.sql;
    const { token, prefix, hash } = newWorkerToken();
    const audit = auditInsert(sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "worker.created",
      targetType: "worker",
      source: "w",
      details: { name: body.name, token_prefix: prefix },
    });
    const [row] = await sql<WorkerRow[]>`
      with w as (
        insert into public.workers (name, token_prefix, token_hash, created_by)
        values (${body.name}, ${prefix}, ${hash}, ${principal.userId})
        returning *
      ), a as (${audit})
      select ${workerColumns(sql)} from w`;
    return c.json({ token, worker: toAdminWorker(row) }, 201);
  });
}
