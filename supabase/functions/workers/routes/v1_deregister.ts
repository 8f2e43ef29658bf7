/**
 * POST /v1/deregister: the worker is shutting down. It drains: its claims give nothing from now on, and it
 * finishes (or hands back) what it holds; registering again ends the drain. Answers how many jobs it still
 * holds. Audited.
 */
import { z } from "zod";
import type { Deregistered } from "../../../../shared/worker_protocol.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { failRevoked } from "../auth/require_worker.ts";
import type { WorkersDeps } from "../deps.ts";
import { validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";

/** `{}`, or no body at all. */
const DeregisterRequest = z.strictObject({}).optional();

export function registerDeregister(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/deregister", async (c) => {
    await validBody(c, DeregisterRequest);
    const worker = c.get("worker");
    const sql = deps.sql;
    const audit = auditInsert(
      sql,
      { kind: "worker", id: worker.id, ip: clientIp(c.req.raw.headers, deps.config) },
      { action: "worker.deregistered", targetType: "worker", source: "w" },
    );
    const [row] = await sql<{ id: string; running_jobs: number }[]>`
      with w as (
        update public.workers set draining = true where id = ${worker.id} and revoked_at is null returning id
      ), a as (${audit})
      select w.id,
             (select count(*)::integer from kiln.job_running r where r.worker_id = w.id) as running_jobs
        from w`;
    if (!row) failRevoked();
    const deregistered: Deregistered = { worker_id: row.id, running_jobs: row.running_jobs };
    return c.json(deregistered);
  });
}
