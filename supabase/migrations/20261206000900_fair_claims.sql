-- The order of claims, made explicit. A worker is handed, among the queued jobs:
--   1. only what it can run (a hard filter: its job types, run_after reached, deadline not passed, and the models and
--      node types its ComfyUI has);
--   2. the highest priority first;
--   3. then fair share between accounts: each account's queued jobs take turns, counted from the jobs it already
--      has running, so an account with 4 running waits behind one with none. A lone account still gets every GPU
--      (nothing is held back), and one account's burst never starves another's single job;
--   4. then the worker's loaded model: within an account's turn, a job that uses a checkpoint the worker has loaded
--      goes before one that would make it load another, unless that one has waited `model_affinity_wait_seconds`:
--      from then on it goes in its place by age. So no job waits longer than that bound behind model preference;
--   5. then age (run_after), then id.
-- Step 3 is `fair_share` (on) and step 4 `model_affinity_wait_seconds` (0 turns it off); without them the order is
-- the plain FIFO by priority of before.

insert into kiln.settings (key, value, description) values
  ('fair_share', 'true',
   'Claims interleave accounts (turns counted from each account''s running jobs); false: FIFO by priority.'),
  ('model_affinity_wait_seconds', '60',
   'A worker prefers jobs using its loaded checkpoint, but never passes over a job older than this (0: off).'),
  ('max_running_jobs', '0', 'Default cap on an account''s running jobs (0: none; a profile may override it).');

-- A batch is one account's thousand images: the queued cap is for runaway clients, not for batches. Left as it
-- was where an administrator changed it.
update kiln.settings
   set value = '10000', description = 'Default cap on queued + running jobs per account (a profile may override it).'
 where key = 'max_active_jobs' and value = '20';

alter table public.profiles add column max_running_jobs integer check (max_running_jobs >= 0);
comment on column public.profiles.max_running_jobs is 'Null: the max_running_jobs setting applies (0: no cap).';

-- Claims walk the queue account by account, type by type, in the claim order within each; the same index lists the
-- accounts that have queued jobs (a skip scan over its first column).
drop index public.jobs_claim_order;
create index jobs_queue_by_owner on public.jobs (owner_id, type, priority desc, run_after, id) where status = 'queued';

-- Whether `p_job` uses a checkpoint in `p_loaded`: a job that names none, or takes any ("*"), uses what is loaded.
create function kiln.uses_loaded_model(p_requirements jsonb, p_loaded text[]) returns boolean
language sql immutable set search_path = '' as $$
  select p_requirements -> 'checkpoints' is null
      or p_requirements -> 'checkpoints' ? '*'
      or p_requirements -> 'checkpoints' ?| p_loaded
$$;
revoke all on function kiln.uses_loaded_model(jsonb, text[]) from public;

drop function kiln.claim_jobs(uuid, text[], integer, integer);
create function kiln.claim_jobs(
  p_worker_id uuid, p_job_types text[], p_limit integer, p_lease_seconds integer default null,
  p_loaded_models text[] default null
) returns setof public.jobs
language plpgsql set search_path = '' as $$
declare
  v_lease interval := make_interval(secs => coalesce(p_lease_seconds, (kiln.setting('lease_seconds'))::integer));
  v_fair boolean := (kiln.setting('fair_share'))::boolean;
  v_affinity interval := make_interval(secs => (kiln.setting('model_affinity_wait_seconds'))::integer);
  v_running_cap integer := (kiln.setting('max_running_jobs'))::integer;
  v_prefer boolean := v_affinity > interval '0' and coalesce(cardinality(p_loaded_models), 0) > 0;
  -- How far into each account's queue (of a type) a claim looks: far enough to find a job for the loaded model,
  -- and to step past the jobs other claimers lock at the same moment.
  v_window integer := p_limit + case when v_prefer then 32 else 16 end;
  v_worker public.workers;
  v_can jsonb;
  v_job public.jobs;
begin
  perform set_config('synchronous_commit', 'off', true);
  v_worker := kiln.touch_worker(p_worker_id);
  if v_worker.draining then
    return;
  end if;
  -- What this worker's ComfyUI has (null: registered before workers reported it; it is then not judged).
  v_can := v_worker.capabilities -> 'can';
  for v_job in
    with recursive owners (owner_id) as (
      -- The accounts with queued jobs: one index probe each.
      (select j.owner_id from public.jobs j where j.status = 'queued' order by j.owner_id limit 1)
      union all
      select (select j.owner_id from public.jobs j
               where j.status = 'queued' and j.owner_id > o.owner_id order by j.owner_id limit 1)
        from owners o
       where o.owner_id is not null
    ),
    accounts as (
      select o.owner_id,
             (select count(*) from public.jobs r where r.owner_id = o.owner_id and r.status = 'running') as running,
             nullif(coalesce(p.max_running_jobs, v_running_cap), 0) as running_cap
        from owners o
        join public.profiles p on p.id = o.owner_id
    ),
    -- 1. What this worker can run, each account's first jobs of each type in claim order (no locks yet).
    runnable as (
      select a.owner_id, a.running, a.running_cap, w.*
        from accounts a
       cross join unnest(p_job_types) t (type)
       cross join lateral (
         select j.id, j.priority, j.run_after,
                -- 4. Not the loaded model, and not yet waited the bound: after its account's other jobs.
                v_prefer and j.run_after > now() - v_affinity
                  and not kiln.uses_loaded_model(j.requirements, p_loaded_models) as later
           from public.jobs j
          where j.owner_id = a.owner_id and j.type = t.type and j.status = 'queued'
            and j.run_after <= now()
            and (j.deadline is null or j.deadline > now())
            and (v_can is null or v_can @> case when v_can ? 'node_types' then j.requirements
                                               else j.requirements - 'node_types' end)
          order by j.priority desc, j.run_after, j.id
          limit v_window
       ) w
    ),
    -- 3. Each job's turn: its account's running jobs plus the jobs of that account before it.
    turns as (
      select r.id, r.priority, r.run_after, r.later, r.running_cap,
             r.running + row_number() over (
               partition by r.owner_id order by r.priority desc, r.later, r.run_after, r.id) - 1 as turn
        from runnable r
    ),
    picked as (
      select j.id
        from public.jobs j
        join turns t on t.id = j.id
       where j.status = 'queued'
         and (t.running_cap is null or t.turn < t.running_cap)
       order by t.priority desc, case when v_fair then t.turn else 0 end, t.later, t.run_after, t.id
       limit p_limit
         for update of j skip locked
    )
    update public.jobs j
       set status = 'running', phase = 'claimed', progress = null, worker_id = p_worker_id,
           fencing_token = nextval('kiln.fencing_tokens'), attempts = j.attempts + 1,
           lease_expires_at = now() + v_lease, claimed_at = now(), started_at = null
      from picked p
     where j.id = p.id
    returning j.*
  loop
    perform kiln.record_job_event(v_job, 'job.started', jsonb_build_object('attempt', v_job.attempts, 'worker_id', p_worker_id));
    return next v_job;
  end loop;
end $$;
revoke all on function kiln.claim_jobs(uuid, text[], integer, integer, text[]) from public;

-- Queue positions in the same order (without step 4, which depends on the worker that claims). A job's turn is its
-- account's running jobs plus the account's queued jobs of the type before it. Claims leave turns as they are (a
-- claimed job's turn passes to the running count), so the order is exact until a running job ends; the snapshot
-- also gives each account's turn after its last queued job, where a job created since is placed.
create or replace function kiln.queue_snapshot(p_type text, p_exact integer, p_every integer) returns jsonb
language sql stable set search_path = '' as $$
  with queued as (
    select j.id, j.owner_id, j.priority, (extract(epoch from j.run_after) * 1000000)::bigint as run_after_us,
           row_number() over (partition by j.owner_id order by j.priority desc, j.run_after, j.id) - 1 as before
      from public.jobs j
     where j.status = 'queued' and j.type = p_type and j.run_after <= now()
  ),
  accounts as (
    select q.owner_id, count(*) as queued,
           (select count(*) from public.jobs r where r.owner_id = q.owner_id and r.status = 'running') as running
      from queued q
     group by q.owner_id
  ),
  ordered as (
    select q.id, q.priority, q.run_after_us, a.running + q.before as turn,
           row_number() over (order by q.priority desc,
                                       case when (kiln.setting('fair_share'))::boolean then a.running + q.before else 0 end,
                                       q.run_after_us, q.id) - 1 as ahead
      from queued q
      join accounts a using (owner_id)
  )
  select jsonb_build_object(
    'workers_online', kiln.workers_online(p_type),
    -- What each online worker of the type has, so the API can tell a job no online worker can run.
    'workers_can', (select coalesce(jsonb_agg(coalesce(w.capabilities -> 'can', 'null'::jsonb)), '[]'::jsonb)
                      from public.workers w
                     where w.revoked_at is null and not w.draining and p_type = any(w.job_types)
                       and w.last_seen_at > now() - make_interval(secs => (kiln.setting('worker_online_seconds'))::integer)),
    'fair_share', (kiln.setting('fair_share'))::boolean,
    -- Each account's next turn: where a job it queues now goes.
    'next_turns', (select coalesce(jsonb_object_agg(a.owner_id, a.running + a.queued), '{}'::jsonb) from accounts a),
    'keys', (select coalesce(jsonb_agg(jsonb_build_array(o.ahead, o.priority, o.turn, o.run_after_us, o.id)
                                       order by o.ahead)
                               filter (where o.ahead < p_exact or o.ahead % p_every = 0), '[]'::jsonb)
               from ordered o),
    -- What the snapshot cost the server (ms), so the API can space its refreshes by it.
    'cost_ms', extract(epoch from clock_timestamp() - now()) * 1000)
$$;
