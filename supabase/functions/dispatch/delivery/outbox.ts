/**
 * The dispatcher's side of the webhook outbox, one SQL function per step (supabase/migrations/…_webhook_dispatch.sql
 * says what each decides): claim due deliveries, record how an attempt went, and ask when the next one falls due.
 * `now` is the clock the delivery rules use; undefined is the database's.
 */
import type postgres from "postgres";
import type { StoredEvent } from "../../../../shared/webhooks/webhook_body.ts";

/** A claimed delivery: where it goes, what it carries, and the secrets to sign it with. */
export interface ClaimedDelivery {
  id: string;
  owner_id: string;
  endpoint_id: string | null;
  job_id: string | null;
  url: string;
  event_id: string;
  event_type: string;
  payload: StoredEvent;
  /** This attempt's number, 1 for the first. */
  attempt: number;
  secrets: string[];
}

/** How one attempt went. No responseCode: no response came (`error` says why). */
export interface AttemptResult {
  startedAt: Date;
  durationMs: number;
  responseCode?: number;
  responseExcerpt?: string;
  error?: string;
  /** A 429's or 503's Retry-After, in seconds from now. */
  retryAfterSeconds?: number;
}

/** What the database made of an attempt. `stale`: the claim had been overtaken, only the log kept it. */
export interface RecordedAttempt {
  status: "pending" | "succeeded" | "dead" | "gone";
  next_attempt_at?: string | null;
  endpoint_disabled?: string | null;
  stale?: boolean;
}

/** Claims up to `limit` due deliveries, each leased for `leaseSeconds`. */
export function claimDeliveries(
  sql: postgres.Sql,
  limit: number,
  leaseSeconds: number,
  now?: Date,
): Promise<ClaimedDelivery[]> {
  return sql<ClaimedDelivery[]>`
    select * from kiln.claim_webhook_deliveries(${limit}::integer, ${leaseSeconds}::integer, ${now ?? null}::timestamptz)`;
}

/** Records attempt `delivery.attempt` and returns what happens next. */
export async function recordAttempt(
  sql: postgres.Sql,
  delivery: ClaimedDelivery,
  result: AttemptResult,
  now?: Date,
): Promise<RecordedAttempt> {
  const [row] = await sql<{ r: RecordedAttempt }[]>`
    select kiln.record_webhook_attempt(
      ${delivery.id}::uuid, ${delivery.attempt}::integer, ${result.startedAt}::timestamptz,
      ${Math.round(result.durationMs)}::integer, ${result.responseCode ?? null}::integer,
      ${result.responseExcerpt ?? null}::text, ${result.error ?? null}::text,
      ${result.retryAfterSeconds ?? null}::integer, ${now ?? null}::timestamptz) as r`;
  return row.r;
}

/** When the next delivery that nothing holds back falls due, if later than `now`. */
export async function nextDue(sql: postgres.Sql, now?: Date): Promise<Date | undefined> {
  const [row] = await sql<{ at: Date | null }[]>`select kiln.next_webhook_due(${now ?? null}::timestamptz) as at`;
  return row.at ?? undefined;
}
