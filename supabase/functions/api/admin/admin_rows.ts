/** What the admin routes share: the refusals of a JSON body, and rows as the API shows them. */
import type postgres from "postgres";
import type { AdminWorker } from "../../../../shared/api/admin_workers.ts";
import type { AdminWorkflow } from "../../../../shared/api/admin_workflows.ts";
import type { ErrorCode } from "../../../../shared/errors.ts";
import { fail } from "../../_shared/http/errors.ts";

/** Refusals of a JSON body, on top of authentication's (see http/caller_route.ts). */
export const BODY_ERRORS: ErrorCode[] = [
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
  "validation_failed",
];

/** What postgres.js's `sql.json` takes: the routes' bodies are JSON by construction (parsed from a request). */
export type JsonValue = postgres.JSONValue;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export interface WorkflowRow {
  id: string;
  owner_id: string | null;
  name: string;
  description: string | null;
  job_type: string;
  graph: Record<string, unknown>;
  bindings: Record<string, unknown>;
  cost_rule: Record<string, unknown>;
  enabled: boolean;
  execution_timeout_seconds: number | null;
  created_at: Date;
  updated_at: Date;
}

/** A workflow row as the API shows it. */
export function toAdminWorkflow(row: WorkflowRow): AdminWorkflow {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}

export interface WorkerRow {
  id: string;
  name: string;
  token_prefix: string;
  job_types: string[];
  capabilities: Record<string, unknown>;
  comfyui_version: string | null;
  draining: boolean;
  online: boolean;
  created_at: Date;
  registered_at: Date | null;
  last_seen_at: Date | null;
  revoked_at: Date | null;
  current_jobs: string[];
}

/** The worker columns the API shows (never the token hash), `online` computed. */
export function workerColumns(sql: postgres.Sql, table = "w"): postgres.PendingQuery<postgres.Row[]> {
  const t = sql(table);
  return sql`${t}.id, ${t}.name, ${t}.token_prefix, ${t}.job_types, ${t}.capabilities, ${t}.comfyui_version,
    ${t}.draining, ${t}.created_at, ${t}.registered_at, ${t}.last_seen_at, ${t}.revoked_at,
    coalesce(${t}.revoked_at is null and ${t}.last_seen_at >
      now() - make_interval(secs => (kiln.setting('worker_online_seconds'))::integer), false) as online,
    array(select j.id from kiln.job_running r join public.jobs j on j.id = r.job_id
           where r.worker_id = ${t}.id order by j.claimed_at) as current_jobs`;
}

/** A worker row as the API shows it. */
export function toAdminWorker(row: WorkerRow): AdminWorker {
  return {
    ...row,
    created_at: row.created_at.toISOString(),
    registered_at: iso(row.registered_at),
    last_seen_at: iso(row.last_seen_at),
    revoked_at: iso(row.revoked_at),
  };
}

/**
 * Turns the constraint violations an admin change can hit into the errors a client can act on: a duplicate
 * name (409) or an owner that does not exist (404). Anything else is rethrown.
 */
export function failOnConstraint(error: unknown, what: string): never {
  const code = (error as { code?: string }).code;
  if (code === "23505") fail("conflict", `A ${what} with this name exists already for this owner.`);
  if (code === "23503") fail("not_found", "No account has this owner_id.");
  throw error;
}
