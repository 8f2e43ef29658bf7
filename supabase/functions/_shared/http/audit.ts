/**
 * Audit log rows for changes a caller makes (API keys today). Written in the same statement as the change, as
 * a data-modifying CTE, so a change and its audit row commit together or not at all.
 */
import type postgres from "postgres";

/** Who made a change, and from where. */
export interface AuditActor {
  kind: "user" | "api_key" | "worker";
  /** The user's id, the API key's id when a key made the change, or the worker's id. */
  id: string;
  /** The owner of the account the change was made in (none for a worker's own changes). */
  userId?: string;
  ip: string | null;
}

/**
 * An insert of one audit row per row of the CTE `source` (its `id` is the target): use it as a later CTE of
 * the statement that makes the change. `details` must hold no secret.
 */
export function auditInsert(
  sql: postgres.Sql,
  actor: AuditActor,
  change: { action: string; targetType: string; source: string; details?: Record<string, unknown> },
): postgres.PendingQuery<postgres.Row[]> {
  const details = { ...(actor.userId ? { user_id: actor.userId } : {}), ...change.details } as postgres.JSONValue;
  return sql`
    insert into public.audit_log (actor_kind, actor_id, action, target_type, target_id, ip, details)
    select ${actor.kind}, ${actor.id}::uuid, ${change.action}, ${change.targetType}, s.id::text, ${actor.ip}::inet,
           ${sql.json(details)}
      from ${sql(change.source)} s`;
}
