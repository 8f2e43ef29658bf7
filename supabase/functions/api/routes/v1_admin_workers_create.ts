/** POST /v1/admin/workers: a new GPU worker and its token, shown in this response only. */
import { createRoute } from "@hono/zod-openapi";
import { AdminWorkerCreateBody, AdminWorkerCreated } from "../../../../shared/api/admin_workers.ts";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import { newWorkerToken } from "../../_shared/auth/worker_tokens.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { ADMIN_AUTH_ERRORS, BODY_ERRORS, toAdminWorker, type WorkerRow, workerColumns } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import { requireAuth } from "../auth/require_auth.ts";
import type { ApiDeps } from "../deps.ts";
import { type ApiApp, CALLER_SECURITY } from "../http/api_types.ts";

export function registerAdminWorkersCreate(app: ApiApp, deps: ApiDeps): void {
  const route = createRoute({
    method: "post",
    path: "/v1/admin/workers",
    tags: ["Admin"],
    summary: "Create a worker",
    description: "The token is in this response only: give it to the worker as KILN_WORKER_TOKEN.",
    security: CALLER_SECURITY,
    middleware: [requireAuth(deps.auth, { admin: true })] as const,
    request: { body: { required: true, content: { "application/json": { schema: AdminWorkerCreateBody } } } },
    responses: {
      201: {
        description: "The worker, with its token shown this once.",
        content: { "application/json": { schema: AdminWorkerCreated } },
      },
      ...errorResponses(...ADMIN_AUTH_ERRORS, ...BODY_ERRORS),
    },
  });
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    const sql = deps.sql;
    const { token, prefix, hash } = newWorkerToken();
    const audit = auditInsert(sql, auditActor(principal, clientIp(c.req.raw.headers)), {
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
