/** Owners, workers and queued jobs for the bench, made in bulk and outside the timed parts. */
import type { Queryable } from "../db/database.ts";

/** kiln.create_job as the API calls it, for one job: $1 owner, $2 type, $3 params, $4 cost. */
export const createJobSql =
  "select kiln.create_job(p_owner_id => $1, p_type => $2, p_params => $3, p_cost => $4) as result";

/** The params every bench job carries: about the size of a real prompt. */
export const benchParams = { prompt: "a kiln at dusk, wood-fired, long exposure", steps: 30, seed: 42 };

/**
 * `n` users (each with a profile through the signup trigger) whose active-job cap, rate budgets and balance are
 * raised far past what a run can use, so none refuses a create.
 */
export async function createOwners(db: Queryable, n: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `insert into auth.users (id, email)
     select u.id, u.id || '@bench.test' from (select gen_random_uuid() as id from generate_series(1, $1)) u
     returning id`,
    [n],
  );
  const ids = rows.map((r) => r.id);
  await db.query(
    `update public.profiles
        set max_active_jobs = 10000000, rate_limit_read_per_minute = 1000000, rate_limit_create_per_minute = 1000000
      where id = any($1)`,
    [ids],
  );
  await db.query("select kiln.post_credits(o, 1000000000, 'admin_grant') from unnest($1::uuid[]) o", [ids]);
  return ids;
}

/** `n` registered workers that run `jobTypes`. */
export async function createWorkers(db: Queryable, n: number, jobTypes: string[]): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `insert into public.workers (name, token_prefix, token_hash, job_types, registered_at, last_seen_at)
     select 'bench-' || t.n, 'kiln_wk_' || left(t.hash, 12), t.hash, $2, now(), now()
       from (select n, encode(sha256(gen_random_uuid()::text::bytea), 'hex') as hash from generate_series(1, $1) n) t
     returning id`,
    [n, jobTypes],
  );
  return rows.map((r) => r.id);
}

/** Queues `count` jobs of `type`, spread over `owners`, through kiln.create_job, a chunk per statement. */
export async function fillQueue(db: Queryable, owners: string[], type: string, count: number): Promise<void> {
  const perOwner = Math.ceil(count / owners.length);
  const chunk = Math.max(1, Math.floor(2000 / owners.length));
  for (let done = 0; done < perOwner; done += chunk) {
    await db.query(
      `select kiln.create_job(p_owner_id => o, p_type => $2, p_params => $3, p_cost => 1)
         from unnest($1::uuid[]) o, generate_series(1, $4)`,
      [owners, type, benchParams, Math.min(chunk, perOwner - done)],
    );
  }
  await settleJobs(db);
}

/**
 * Vacuums and analyzes what claims read, so a run starts from planned claims over a clean queue (autovacuum would
 * get there within a minute; a bench does not wait for it).
 */
export async function settleJobs(db: Queryable): Promise<void> {
  await db.exec("vacuum analyze public.jobs, kiln.job_queue, public.profiles");
}

/** Empties the job tables (and what hangs off them), so each section starts from the same state. */
export async function resetJobs(db: Queryable): Promise<void> {
  await db.exec("truncate public.jobs, realtime.messages cascade");
  await settleJobs(db);
}
