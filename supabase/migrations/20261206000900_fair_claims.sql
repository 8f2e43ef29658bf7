-- Redefined in 20261206001100_queue_tables (kiln.tg_jobs__queue_tag, kiln.create_job, kiln.queue_snapshot) and
-- 20261206001200_claims_from_the_queue_table (kiln.claim_jobs): they read kiln.job_queue. supabase/schema.sql holds
-- the current definitions.
-- The order of claims, made explicit. A worker is handed, among the queued jobs:
--   1. only what it can run (a hard filter: its job types, run_after reached, deadline not passed, and the models and
--      node types its ComfyUI has);
--   2. the highest priority first;
--   3. then fair share between accounts, by each job's queue tag (below): accounts take turns, so one account's burst
--      never starves another's job, and a lone account still gets every GPU (nothing is held back);
--   4. then the worker's loaded model: among the first claimable jobs, one that uses a checkpoint the worker has
--      loaded goes before one that would make it load another, unless that one has waited
--      `model_affinity_wait_seconds`: from then on it keeps its place. So model preference delays no job by more
--      than that bound;
--   5. then age (run_after), then id.
--
-- Fair share is start-time fair queuing. A job's queue tag is its account's turn: one step past the account's last
-- queued job of that priority, but never before the front of the queue (the smallest tag queued at that priority). An
-- account that queues 2,000 jobs takes turns front, front+1, …, front+1999; one that then queues 10 takes turns from
-- the front again, so its jobs alternate with the burst instead of waiting behind it. Tags are set once, when the job
-- is queued, so the order is a plain index scan (a claim costs what a FIFO claim costs, however many accounts wait)
-- and a queue position is exact: it is the count of jobs before the job in that order. With `fair_share` off, tags
-- follow creation (FIFO by priority), for jobs queued from then on.

insert into kiln.settings (key, value, description) values
  ('fair_share', 'true',
   'New jobs take turns between accounts (start-time fair queuing); false: first come, first served by priority.'),
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

-- Weighted shares: an account's `queue_weight` (1 by default) is how many turns it takes for every one of an account
-- of weight 1 while both have jobs waiting: its jobs' tags step by 1000 / weight instead of 1000. Tags are only
-- compared, never counted, so the step's size changes no one's place.
alter table public.profiles add column queue_weight integer not null default 1 check (queue_weight between 1 and 100);
comment on column public.profiles.queue_weight is
  'Turns this account takes for each turn of a weight-1 account while both have jobs queued (fair share).';

alter table public.jobs add column queue_tag bigint not null default 0;
comment on column public.jobs.queue_tag is
  'The job''s turn among queued jobs of its priority (fair share between accounts); claims go by priority, then this.';

drop index public.jobs_claim_order;
create index jobs_claim_order on public.jobs (priority desc, queue_tag, run_after, id) where status = 'queued';
-- An account's last turn at a priority, to queue its next job behind it.
create index jobs_queued_turns on public.jobs (owner_id, priority, queue_tag) where status = 'queued';

create function kiln.tg_jobs__queue_tag() returns trigger
language plpgsql set search_path = '' as $$
declare
  v_front bigint;
  v_last bigint;
  v_step bigint := 1000;
begin
  select j.queue_tag into v_front
    from public.jobs j where j.status = 'queued' and j.priority = new.priority order by j.queue_tag limit 1;
  if (kiln.setting('fair_share'))::boolean then
    select j.queue_tag into v_last
      from public.jobs j
     where j.owner_id = new.owner_id and j.status = 'queued' and j.priority = new.priority
     order by j.queue_tag desc limit 1;
    select 1000 / p.queue_weight into v_step from public.profiles p where p.id = new.owner_id;
  else
    select j.queue_tag into v_last
      from public.jobs j where j.status = 'queued' and j.priority = new.priority order by j.queue_tag desc limit 1;
  end if;
  new.queue_tag := greatest(v_last + v_step, v_front, 0);
  return new;
end $$;
revoke all on function kiln.tg_jobs__queue_tag() from public;
create trigger _100_queue_tag before insert on public.jobs
  for each row execute function kiln.tg_jobs__queue_tag();

-- Creating a job answers its queue tag too, so the API places it in the queue without another query.
create or replace function kiln.create_job(
  p_owner_id uuid,
  p_type text,
  p_params jsonb,
  p_cost bigint,
  p_api_key_id uuid default null,
  p_workflow_id uuid default null,
  p_priority integer default 0,
  p_max_attempts integer default null,
  p_deadline_seconds integer default null,
  p_idempotency_key text default null,
  p_request_hash text default null,
  p_webhook_url text default null,
  p_webhook_events text[] default null,
  p_metadata jsonb default '{}',
  p_notify boolean default true,
  p_requirements jsonb default '{}'
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_profile public.profiles;
  v_job public.jobs;
  v_maintenance jsonb;
  v_cap integer;
  v_active integer;
begin
  -- Creates for one owner serialize on the profile row, so the idempotency check, the cap and the balance
  -- are exact under concurrency; creates for different owners do not wait for each other.
  select * into v_profile from public.profiles p where p.id = p_owner_id for update;
  if not found then
    raise exception 'no profile %', p_owner_id using errcode = 'KL010';
  end if;

  if p_idempotency_key is not null then
    select * into v_job from public.jobs j where j.owner_id = p_owner_id and j.idempotency_key = p_idempotency_key;
    if found then
      if v_job.request_hash is distinct from p_request_hash then
        raise exception 'Idempotency-Key "%" was already used with a different request', p_idempotency_key
          using errcode = 'KL004', detail = jsonb_build_object('job_id', v_job.id)::text;
      end if;
      return jsonb_build_object('job', kiln.job_summary(v_job), 'replayed', true, 'queue_tag', v_job.queue_tag);
    end if;
  end if;

  v_maintenance := kiln.setting('maintenance');
  if (v_maintenance ->> 'enabled')::boolean then
    raise exception '%', coalesce(v_maintenance ->> 'reason', 'Kiln is down for maintenance')
      using errcode = 'KL001';
  end if;

  -- Counting stops at the cap, so the check costs O(cap) however deep the queue is.
  v_cap := coalesce(v_profile.max_active_jobs, (kiln.setting('max_active_jobs'))::integer);
  select count(*) into v_active
    from (select 1 from public.jobs j
           where j.owner_id = p_owner_id and j.status in ('queued', 'running') limit v_cap) active;
  if v_active >= v_cap then
    raise exception 'you already have % queued or running jobs, the most allowed', v_cap
      using errcode = 'KL002', detail = jsonb_build_object('limit', v_cap)::text;
  end if;

  if p_cost < 0 then
    raise exception 'cost must not be negative' using errcode = 'KL012';
  end if;
  if v_profile.credits < p_cost then
    raise exception 'this job costs % credits and the balance is %', p_cost, v_profile.credits
      using errcode = 'KL003', detail = jsonb_build_object('cost', p_cost, 'balance', v_profile.credits)::text;
  end if;

  insert into public.jobs (
    owner_id, api_key_id, type, workflow_id, params, priority, max_attempts, deadline, cost,
    idempotency_key, request_hash, webhook_url, webhook_events, metadata, requirements
  ) values (
    p_owner_id, p_api_key_id, p_type, p_workflow_id, p_params, p_priority,
    coalesce(p_max_attempts, (kiln.setting('max_attempts'))::integer),
    now() + make_interval(secs => p_deadline_seconds), p_cost,
    p_idempotency_key, p_request_hash, p_webhook_url, p_webhook_events, coalesce(p_metadata, '{}'),
    coalesce(p_requirements, '{}')
  ) returning * into v_job;

  if p_cost > 0 then
    perform kiln.post_credits(p_owner_id, -p_cost, 'job_charge', v_job.id);
  end if;
  -- Off for this job's event only, not for the rest of a transaction that called this.
  perform set_config('kiln.queue_notify', case when p_notify then 'on' else 'off' end, true);
  perform kiln.record_job_event(v_job, 'job.queued', jsonb_build_object('reason', 'created'));
  perform set_config('kiln.queue_notify', 'on', true);
  return jsonb_build_object('job', kiln.job_summary(v_job), 'replayed', false, 'queue_tag', v_job.queue_tag);
end $$;
revoke all on function kiln.create_job(uuid, text, jsonb, bigint, uuid, uuid, integer, integer, integer, text, text, text, text[], jsonb, boolean, jsonb) from public;

-- Whether a job needing `p_requirements` uses a checkpoint in `p_loaded`: one that names none, or takes any ("*"),
-- uses what is loaded.
create function kiln.uses_loaded_model(p_requirements jsonb, p_loaded text[]) returns boolean
language sql immutable set search_path = '' as $$
  select p_requirements -> 'checkpoints' is null
      or p_requirements -> 'checkpoints' ? '*'
      or p_requirements -> 'checkpoints' ?| p_loaded
$$;
revoke all on function kiln.uses_loaded_model(jsonb, text[]) from public;

-- Caps are rare; claims look for them only where an account has one of its own or the setting is on.
create index profiles_running_caps on public.profiles (id) where max_running_jobs > 0;

drop function kiln.claim_jobs(uuid, text[], integer, integer);
create function kiln.claim_jobs(
  p_worker_id uuid, p_job_types text[], p_limit integer, p_lease_seconds integer default null,
  p_loaded_models text[] default null
) returns setof public.jobs
language plpgsql set search_path = '' as $$
declare
  v_lease interval := make_interval(secs => coalesce(p_lease_seconds, (kiln.setting('lease_seconds'))::integer));
  v_affinity interval := make_interval(secs => (kiln.setting('model_affinity_wait_seconds'))::integer);
  v_prefer boolean := v_affinity > interval '0' and coalesce(cardinality(p_loaded_models), 0) > 0;
  v_running_cap integer := (kiln.setting('max_running_jobs'))::integer;
  v_caps boolean;
  v_worker public.workers;
  v_can jsonb;
  -- Accounts at their running cap: none of their jobs is claimed.
  v_capped uuid[] := '{}';
  v_want integer;
  v_ids uuid[];
  v_claimed integer := 0;
  v_job public.jobs;
begin
  perform set_config('synchronous_commit', 'off', true);
  v_worker := kiln.touch_worker(p_worker_id);
  if v_worker.draining then
    return;
  end if;
  v_can := v_worker.capabilities -> 'can';
  v_caps := v_running_cap > 0 or exists (select 1 from public.profiles p where p.max_running_jobs > 0);
  loop
    -- Under caps one job at a time, each counted as running before the next is picked.
    v_want := case when v_caps then 1 else p_limit - v_claimed end;
    if v_caps then
      -- Only accounts with jobs running can be at a cap: as many rows as jobs run now, at most.
      select coalesce(array_agg(r.owner_id), '{}') into v_capped
        from (select j.owner_id, count(*) as running
                from public.jobs j where j.status = 'running' group by j.owner_id) r
        join public.profiles p on p.id = r.owner_id
       where r.running >= nullif(coalesce(p.max_running_jobs, v_running_cap), 0);
    end if;

    -- 4. The loaded model first, among the first claimable jobs in claim order (looked at without locks).
    v_ids := '{}';
    if v_prefer then
      select coalesce(array_agg(p.id), '{}') into v_ids
        from (select j.id
                from public.jobs j
                join (select f.id, f.priority, f.queue_tag, f.run_after,
                             f.run_after > now() - v_affinity
                               and not kiln.uses_loaded_model(f.requirements, p_loaded_models) as later
                        from public.jobs f
                       where f.status = 'queued' and f.run_after <= now() and f.type = any(p_job_types)
                         and (f.deadline is null or f.deadline > now())
                         and (v_can is null or v_can @> case when v_can ? 'node_types' then f.requirements
                                                            else f.requirements - 'node_types' end)
                         and f.owner_id <> all(v_capped)
                       order by f.priority desc, f.queue_tag, f.run_after, f.id
                       limit v_want + 32) front on front.id = j.id
               where j.status = 'queued'
               order by front.priority desc, front.later, front.queue_tag, front.run_after, front.id
               limit v_want
                 for update of j skip locked) p;
    end if;
    -- 1-3, 5: the rest in claim order, past whatever other claimers hold.
    if cardinality(v_ids) < v_want then
      select v_ids || coalesce(array_agg(p.id), '{}') into v_ids
        from (select j.id
                from public.jobs j
               where j.status = 'queued' and j.run_after <= now() and j.type = any(p_job_types)
                 and (j.deadline is null or j.deadline > now())
                 -- Only jobs whose models (and node types, where the worker reports them) its ComfyUI has.
                 and (v_can is null or v_can @> case when v_can ? 'node_types' then j.requirements
                                                    else j.requirements - 'node_types' end)
                 and j.owner_id <> all(v_capped) and j.id <> all(v_ids)
               order by j.priority desc, j.queue_tag, j.run_after, j.id
               limit v_want - cardinality(v_ids)
                 for update skip locked) p;
    end if;
    exit when cardinality(v_ids) = 0;

    for v_job in
      with claimed as (
        update public.jobs j
           set status = 'running', phase = 'claimed', progress = null, worker_id = p_worker_id,
               fencing_token = nextval('kiln.fencing_tokens'), attempts = j.attempts + 1,
               lease_expires_at = now() + v_lease, claimed_at = now(), started_at = null
         where j.id = any(v_ids)
        returning j.*
      )
      select * from claimed c order by array_position(v_ids, c.id)
    loop
      perform kiln.record_job_event(v_job, 'job.started', jsonb_build_object('attempt', v_job.attempts, 'worker_id', p_worker_id));
      v_claimed := v_claimed + 1;
      return next v_job;
    end loop;
    exit when v_claimed >= p_limit or not v_caps;
  end loop;
end $$;
revoke all on function kiln.claim_jobs(uuid, text[], integer, integer, text[]) from public;

-- Queue positions in the same order, without step 4 (which depends on the worker that claims), counting the jobs ahead
-- that the same workers could take: in a fleet where workers have different models, a job needing a checkpoint only
-- some workers have waits behind the jobs those workers can run, not behind every job of its type. The snapshot
-- numbers the online workers of the type (0, 1, …, in `workers_can`'s order), marks each queued job with the workers
-- that can run it (`able`), and keeps the claim order per set of workers (a class): the API adds up, over the classes
-- that share a worker with the job, the jobs before it.
create or replace function kiln.queue_snapshot(p_type text, p_exact integer, p_every integer) returns jsonb
language sql stable set search_path = '' as $$
  with online as (
    select (row_number() over (order by w.id) - 1)::integer as n, w.capabilities -> 'can' as can
      from public.workers w
     where w.revoked_at is null and not w.draining and p_type = any(w.job_types)
       and w.last_seen_at > now() - make_interval(secs => (kiln.setting('worker_online_seconds'))::integer)
  ),
  claimable as (
    select j.id, j.priority, j.queue_tag, j.run_after, j.requirements
      from public.jobs j
     where j.status = 'queued' and j.type = p_type and j.run_after <= now()
  ),
  -- Judged once per distinct set of requirements (a queue holds few), as claims judge: models always, node types
  -- where the worker reports them; a worker that reported nothing (null) is not judged. Materialized, or the
  -- planner judges each job again.
  kinds as materialized (
    select k.requirements,
           (select coalesce(jsonb_agg(o.n order by o.n), '[]'::jsonb)
              from online o
             where o.can is null
                or o.can @> case when o.can ? 'node_types' then k.requirements else k.requirements - 'node_types' end)
             as able
      from (select distinct c.requirements from claimable c) k
  ),
  -- Each set of able workers once, numbered, so the jobs are sorted and grouped by a number.
  classes as materialized (
    select a.able, (row_number() over ())::integer as class from (select distinct k.able from kinds k) a
  ),
  ordered as (
    select c.id, c.priority, c.queue_tag, (extract(epoch from c.run_after) * 1000000)::bigint as run_after_us, s.class,
           row_number() over (partition by s.class order by c.priority desc, c.queue_tag, c.run_after, c.id) - 1
             as ahead
      from claimable c
      join kinds k on k.requirements = c.requirements
      join classes s on s.able = k.able
  )
  select jsonb_build_object(
    'workers_online', (select count(*) from online),
    -- What each online worker of the type has, so the API can tell which of them can run a job.
    'workers_can', (select coalesce(jsonb_agg(coalesce(o.can, 'null'::jsonb) order by o.n), '[]'::jsonb) from online o),
    -- Per class: the claim order of its jobs, every key of the first p_exact, then one in p_every.
    'classes', (select coalesce(jsonb_agg(jsonb_build_object('able', s.able, 'keys', g.keys)), '[]'::jsonb)
                  from (select o.class,
                               jsonb_agg(jsonb_build_array(o.ahead, o.priority, o.queue_tag, o.run_after_us, o.id)
                                         order by o.ahead)
                                 filter (where o.ahead < p_exact or o.ahead % p_every = 0) as keys
                          from ordered o group by o.class) g
                  join classes s on s.class = g.class),
    -- What the snapshot cost the server (ms), so the API can space its refreshes by it.
    'cost_ms', extract(epoch from clock_timestamp() - now()) * 1000)
$$;
