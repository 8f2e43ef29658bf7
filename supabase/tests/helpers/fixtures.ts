/** Rows the database tests start from, made the way the product makes them (users through auth.users). */
import { randomBytes, randomUUID } from "node:crypto";
import { type Database, openPostgres, type Queryable } from "../../../scripts/db/database.ts";
import type { JobStatus } from "../../../shared/job_states.ts";

/** A user (and, through the signup trigger, a profile with the signup grant). */
export async function createUser(db: Queryable, options: { credits?: number; admin?: boolean } = {}): Promise<string> {
  const id = randomUUID();
  await db.query("insert into auth.users (id, email) values ($1, $2)", [id, `${id}@example.test`]);
  if (options.admin) await db.query("update public.profiles set role = 'admin' where id = $1", [id]);
  if (options.credits !== undefined) {
    const [{ credits }] = await db.query<{ credits: number }>("select credits from public.profiles where id = $1", [
      id,
    ]);
    const delta = options.credits - credits;
    if (delta !== 0) await db.query("select kiln.post_credits($1, $2, 'admin_grant')", [id, delta]);
  }
  return id;
}

/** A registered worker that runs `jobTypes`. */
export async function createWorker(db: Queryable, jobTypes: string[] = ["txt2img"]): Promise<string> {
  const [{ id }] = await db.query<{ id: string }>(
    `insert into public.workers (name, token_prefix, token_hash, job_types, registered_at, last_seen_at)
     values ($1, $2, $3, $4, now(), now()) returning id`,
    [
      `gpu-${randomBytes(3).toString("hex")}`,
      `kiln_wk_${randomBytes(6).toString("hex")}`,
      randomBytes(32).toString("hex"),
      jobTypes,
    ],
  );
  return id;
}

export interface JobSummary {
  id: string;
  type: string;
  status: JobStatus;
  phase: string | null;
  attempts: number;
  cost: number;
  error: { code: string; message: string; retryable?: boolean } | null;
  outputs: unknown;
  cancel_requested: boolean;
  [key: string]: unknown;
}

export interface CreateJobOptions {
  type?: string;
  cost?: number;
  priority?: number;
  maxAttempts?: number;
  deadlineSeconds?: number;
  idempotencyKey?: string;
  requestHash?: string;
  webhookUrl?: string;
}

/** kiln.create_job with defaults; returns {job, replayed}. */
export async function createJob(
  db: Queryable,
  owner: string,
  o: CreateJobOptions = {},
): Promise<{ job: JobSummary; replayed: boolean }> {
  const [{ result }] = await db.query<{ result: { job: JobSummary; replayed: boolean } }>(
    `select kiln.create_job(p_owner_id => $1, p_type => $2, p_params => $3, p_cost => $4, p_priority => $5,
       p_max_attempts => $6, p_deadline_seconds => $7, p_idempotency_key => $8, p_request_hash => $9,
       p_webhook_url => $10) as result`,
    [
      owner,
      o.type ?? "txt2img",
      { prompt: "a kiln at dusk" },
      o.cost ?? 10,
      o.priority ?? 0,
      o.maxAttempts ?? null,
      o.deadlineSeconds ?? null,
      o.idempotencyKey ?? null,
      o.requestHash ?? null,
      o.webhookUrl ?? null,
    ],
  );
  return result;
}

export interface Claimed {
  id: string;
  fencing_token: number;
  attempts: number;
  type: string;
  priority: number;
}

export async function claim(
  db: Queryable,
  worker: string,
  n = 1,
  jobTypes: string[] = ["txt2img"],
  leaseSeconds?: number,
): Promise<Claimed[]> {
  return db.query<Claimed>("select id, fencing_token, attempts, type, priority from kiln.claim_jobs($1, $2, $3, $4)", [
    worker,
    jobTypes,
    n,
    leaseSeconds ?? null,
  ]);
}

/** Sets a setting for the rest of the test (e.g. retry backoff to zero). */
export async function setSetting(db: Queryable, key: string, value: unknown): Promise<void> {
  await db.query("update kiln.settings set value = $2::text::jsonb where key = $1", [key, JSON.stringify(value)]);
}

/** A profile's balance and the sum of its ledger. */
export async function balances(db: Queryable, owner: string): Promise<{ credits: number; ledger: number }> {
  const [row] = await db.query<{ credits: number; ledger: number }>(
    `select p.credits, (select coalesce(sum(l.delta), 0)::bigint from public.credit_ledger l where l.owner_id = p.id) as ledger
       from public.profiles p where p.id = $1`,
    [owner],
  );
  return row;
}

/** The job's event types, in order. */
export async function eventTypes(db: Queryable, jobId: string): Promise<string[]> {
  const rows = await db.query<{ type: string }>("select type from public.job_events where job_id = $1 order by seq", [
    jobId,
  ]);
  return rows.map((r) => r.type);
}

/**
 * `n` connections of their own to a server database (one pool of one each), connected before they are
 * returned so that calls made on them together really start together. Close them with closeAll.
 */
export async function openConnections(url: string, n: number): Promise<Database[]> {
  const connections = Array.from({ length: n }, () => openPostgres(url, { max: 1 }));
  try {
    await Promise.all(connections.map((c) => c.query("select 1")));
  } catch (error) {
    await closeAll(connections);
    throw error;
  }
  return connections;
}

/** Closes every database in `dbs`, even when some fail to close. */
export async function closeAll(dbs: Database[]): Promise<void> {
  await Promise.allSettled(dbs.map((d) => d.close()));
}

/** The SQLSTATE a database call was refused with, or undefined when it succeeded. */
export async function sqlstate(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string") throw error;
    return code;
  }
}
