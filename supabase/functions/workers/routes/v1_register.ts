/**
 * POST /v1/register: the worker says what it runs (job types, ComfyUI instances with their devices and models,
 * slots, versions). Stored on its row, which claims read; it stops draining. Answers how long a lease is, how
 * often to heartbeat and which Realtime topic announces work. Audited.
 */
import { ANY_MODEL } from "../../../../shared/comfyui/requirements.ts";
import { type ComfyInstance, Register, type Registered } from "../../../../shared/worker_protocol.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { failRevoked } from "../auth/require_worker.ts";
import type { WorkersDeps } from "../deps.ts";
import { validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";

export const QUEUE_TOPIC = "kiln:queue";
/** Heartbeats come at least three times per lease, and at least every 10 s. */
const MAX_HEARTBEAT_INTERVAL_MS = 10_000;

/**
 * What the worker's ComfyUI instances have, in the shape of a job's requirements (kiln.claim_jobs matches the
 * two): each kind of model file, and the node types, which are left out unless every instance reported them.
 */
function canRun(instances: ComfyInstance[]): Record<string, string[]> {
  const can: Record<string, Set<string>> = {};
  const add = (kind: string, names: string[]) => {
    const set = can[kind] ?? new Set();
    for (const name of names) set.add(name);
    can[kind] = set;
  };
  for (const instance of instances) {
    for (const [kind, names] of Object.entries(instance.models)) add(kind, names);
  }
  if (instances.every((instance) => instance.node_types)) {
    for (const instance of instances) add("node_types", instance.node_types ?? []);
  }
  // Some model of a kind will do for a job that takes the worker's default (requirements.ts).
  for (const [kind, names] of Object.entries(can)) if (kind !== "node_types" && names.size > 0) names.add(ANY_MODEL);
  return Object.fromEntries(Object.entries(can).map(([kind, names]) => [kind, [...names]]));
}

export function registerRegister(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/register", async (c) => {
    const body = await validBody(c, Register);
    const worker = c.get("worker");
    const sql = deps.sql;
    const capabilities = {
      slots: body.slots,
      comfyui: body.comfyui,
      worker_version: body.worker_version,
      runtime: body.runtime,
      can: canRun(body.comfyui),
    };
    const versions = [...new Set(body.comfyui.flatMap((i) => (i.comfyui_version ? [i.comfyui_version] : [])))];
    const audit = auditInsert(
      sql,
      { kind: "worker", id: worker.id, ip: clientIp(c.req.raw.headers, deps.config) },
      {
        action: "worker.registered",
        targetType: "worker",
        source: "w",
        details: { job_types: body.job_types, slots: body.slots, worker_version: body.worker_version },
      },
    );
    const [row] = await sql<{ id: string; name: string; lease_seconds: number }[]>`
      with w as (
        update public.workers
           set job_types = ${body.job_types}, capabilities = ${sql.json(capabilities)},
               comfyui_version = ${versions.join(", ") || null}, registered_at = now(), last_seen_at = now(),
               draining = false
         where id = ${worker.id} and revoked_at is null
        returning id, name
      ), a as (${audit})
      select w.id, w.name, (kiln.setting('lease_seconds'))::integer as lease_seconds from w`;
    if (!row) failRevoked();
    const registered: Registered = {
      worker_id: row.id,
      name: row.name,
      lease_seconds: row.lease_seconds,
      heartbeat_interval_ms: Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.floor((row.lease_seconds * 1000) / 3)),
      queue_topic: QUEUE_TOPIC,
    };
    return c.json(registered);
  });
}
