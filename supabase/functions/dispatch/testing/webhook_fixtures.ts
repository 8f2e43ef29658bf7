/** Rows the delivery tests start from, made the product's way: endpoints with real secrets, jobs through the lifecycle SQL. */
import { randomBytes } from "node:crypto";
import type { Queryable } from "../../../../scripts/db/database.ts";
import { claim, createJob, createUser, createWorker } from "../../../tests/helpers/fixtures.ts";

export interface Endpoint {
  id: string;
  secret: string;
}

/** An enabled endpoint of `owner` with a fresh `whsec_` secret, receiving `events`. */
export async function createEndpoint(db: Queryable, owner: string, url: string, events = ["*"]): Promise<Endpoint> {
  const [row] = await db.query<Endpoint>(
    `insert into public.webhook_endpoints (owner_id, url, secret, events)
     values ($1, $2, kiln.new_webhook_secret(), $3) returning id, secret`,
    [owner, url, events],
  );
  return row;
}

/** A user with an endpoint at `url`. */
export async function ownerWithEndpoint(
  db: Queryable,
  url: string,
  events?: string[],
): Promise<{ owner: string; endpoint: Endpoint }> {
  const owner = await createUser(db, { credits: 100_000 });
  return { owner, endpoint: await createEndpoint(db, owner, url, events) };
}

/** A job of `owner` taken from queued to succeeded by a worker (events queued, started, succeeded). */
export async function finishedJob(
  db: Queryable,
  owner: string,
  options: { webhookUrl?: string } = {},
): Promise<string> {
  // A type of its own, so the claim takes this job and not another test's queued one.
  const type = `hook_${randomBytes(4).toString("hex")}`;
  const { job } = await createJob(db, owner, { type, cost: 1, webhookUrl: options.webhookUrl });
  const worker = await createWorker(db, [type]);
  const [held] = await claim(db, worker, 1, [type]);
  await db.query("select kiln.complete_job($1, $2, $3, $4)", [
    held.id,
    worker,
    held.fencing_token,
    [{ path: `${owner}/${held.id}/0.png`, content_type: "image/png", size: 1024 }],
  ]);
  return job.id;
}

/**
 * Makes the pending deliveries of `scope` due now, instead of waiting for their retry: those of an endpoint, or
 * of an owner (both targets), or every one. Deliveries out for sending keep their lease: only those whose last
 * attempt is recorded (or that were never tried) move. Rows are locked in id order, so that callers running at once
 * (the order test's dispatcher loops) wait for each other instead of deadlocking, as two plain UPDATEs whose plans
 * visit the rows in different orders can.
 */
export async function makeDue(db: Queryable, scope: { endpoint?: string; owner?: string } = {}): Promise<void> {
  await db.query(
    `update public.webhook_deliveries d set next_attempt_at = now()
      where d.id in (
        select p.id from public.webhook_deliveries p
         where p.status = 'pending' and ($1::uuid is null or p.endpoint_id = $1) and ($2::uuid is null or p.owner_id = $2)
           and (p.attempts = 0 or exists (select 1 from public.webhook_attempts a
                                           where a.delivery_id = p.id and a.attempt = p.attempts))
         order by p.id
           for update)`,
    [scope.endpoint ?? null, scope.owner ?? null],
  );
}

export interface DeliveryRow {
  id: string;
  endpoint_id: string | null;
  event_id: string;
  event_type: string;
  status: "pending" | "succeeded" | "dead";
  attempts: number;
  last_attempt_at: Date | null;
  next_attempt_at: Date;
  last_response_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  last_response_excerpt: string | null;
}

/** The deliveries of a job (or of every job when `jobId` is undefined), in order. */
export async function deliveries(db: Queryable, jobId?: string): Promise<DeliveryRow[]> {
  return db.query<DeliveryRow>(
    "select * from public.webhook_deliveries where ($1::uuid is null or job_id = $1) order by seq",
    [jobId ?? null],
  );
}
