-- Redefined in 20261206001400_job_events_follow_jobs_by_trigger (kiln.tg_jobs__truncate_state: it empties job_events too).
-- Jobs rows updated in place. A claim and a completion each updated the whole jobs row, and since `status` was in
-- the key or predicate of four indexes (claim order, turns, active jobs, deadlines), every update was a new row
-- version elsewhere with a new entry in every index of the table: 7 index entries a cycle. Now the indexes that
-- depend on a job's state live on two narrow tables, one row per queued job and one per running job, kept by a
-- trigger on jobs; nothing on jobs is indexed by a column a cycle changes, so its updates are HOT (heap-only: the
-- new version on the same page, no index entry), and the table leaves room on each page for them.
--
-- Who locks what does not change: claims, cancels, reports and sweeps lock the jobs row, and only the trigger, under
-- that lock, writes the narrow tables. So no two transactions ever wait on each other over a narrow table's row.

-- Queued jobs, with everything a claim filters and orders by.
create table kiln.job_queue (
  job_id uuid primary key,
  owner_id uuid not null,
  type text not null,
  priority smallint not null,
  queue_tag bigint not null,
  run_after timestamptz not null,
  deadline timestamptz,
  requirements jsonb not null
);
comment on table kiln.job_queue is
  'One row per queued job (kept from public.jobs by a trigger): what claims, queue tags and positions read.';
alter table kiln.job_queue enable row level security;
create index job_queue_claim_order on kiln.job_queue (priority desc, queue_tag, run_after, job_id);
-- An account's last turn at a priority (to queue its next job behind it) and its queued count (the cap).
create index job_queue_turns on kiln.job_queue (owner_id, priority, queue_tag);
create index job_queue_deadlines on kiln.job_queue (deadline) where deadline is not null;

-- Running jobs: as many rows as GPU slots are busy, so reading them all (leases, caps, deadlines) costs less than an
-- index written on every claim would.
create table kiln.job_running (
  job_id uuid primary key,
  owner_id uuid not null,
  worker_id uuid not null,
  deadline timestamptz
);
comment on table kiln.job_running is
  'One row per running job (kept from public.jobs by a trigger): what lease and deadline sweeps and caps read.';
alter table kiln.job_running enable row level security;

-- A job enters and leaves the two tables with its status; a queued job whose claim keys change is queued again.
create function kiln.tg_jobs__track_state() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op <> 'INSERT' then
    if old.status = 'queued' then
      delete from kiln.job_queue q where q.job_id = old.id;
    elsif old.status = 'running' then
      delete from kiln.job_running r where r.job_id = old.id;
    end if;
  end if;
  if tg_op <> 'DELETE' then
    if new.status = 'queued' then
      insert into kiln.job_queue (job_id, owner_id, type, priority, queue_tag, run_after, deadline, requirements)
      values (new.id, new.owner_id, new.type, new.priority, new.queue_tag, new.run_after, new.deadline,
              new.requirements);
    elsif new.status = 'running' then
      insert into kiln.job_running (job_id, owner_id, worker_id, deadline)
      values (new.id, new.owner_id, new.worker_id, new.deadline);
    end if;
  end if;
  return null;
end $$;
revoke all on function kiln.tg_jobs__track_state() from public;
create trigger _900_track_state_insert after insert on public.jobs
  for each row execute function kiln.tg_jobs__track_state();
-- Only when a copied column changed: a heartbeat, or a job's outputs, never touch the narrow tables.
create trigger _900_track_state_update
  after update of status, owner_id, type, priority, queue_tag, run_after, deadline, requirements, worker_id
  on public.jobs for each row
  when ((old.status, old.owner_id, old.type, old.priority, old.queue_tag, old.run_after, old.deadline,
         old.requirements, old.worker_id)
        is distinct from
        (new.status, new.owner_id, new.type, new.priority, new.queue_tag, new.run_after, new.deadline,
         new.requirements, new.worker_id))
  execute function kiln.tg_jobs__track_state();
create trigger _900_track_state_delete after delete on public.jobs
  for each row execute function kiln.tg_jobs__track_state();
create function kiln.tg_jobs__truncate_state() returns trigger
language plpgsql set search_path = '' as $$
begin
  truncate kiln.job_queue, kiln.job_running;
  return null;
end $$;
revoke all on function kiln.tg_jobs__truncate_state() from public;
create trigger _900_track_state_truncate after truncate on public.jobs
  for each statement execute function kiln.tg_jobs__truncate_state();

-- Every job passes through kiln.job_queue: its statistics follow the queue's changes closely, so claims keep
-- planning an ordered index scan when a burst arrives (not a sort of the whole queue, as they do before any
-- statistics), and its dead rows go soon.
alter table kiln.job_queue set (
  autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000,
  autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000
);

insert into kiln.job_queue (job_id, owner_id, type, priority, queue_tag, run_after, deadline, requirements)
select j.id, j.owner_id, j.type, j.priority, j.queue_tag, j.run_after, j.deadline, j.requirements
  from public.jobs j where j.status = 'queued';
insert into kiln.job_running (job_id, owner_id, worker_id, deadline)
select j.id, j.owner_id, j.worker_id, j.deadline from public.jobs j where j.status = 'running';
analyze kiln.job_queue;

drop index public.jobs_claim_order;
drop index public.jobs_queued_turns;
drop index public.jobs_active;
drop index public.jobs_deadlines;
-- Room on each page for a cycle's new row versions (HOT needs the same page). Pages written from now on.
alter table public.jobs set (fillfactor = 70);

create or replace function kiln.tg_jobs__queue_tag() returns trigger
language plpgsql set search_path = '' as $$
declare
  v_front bigint;
  v_last bigint;
  v_step bigint := 1000;
begin
  select q.queue_tag into v_front
    from kiln.job_queue q where q.priority = new.priority order by q.queue_tag limit 1;
  if (kiln.setting('fair_share'))::boolean then
    select q.queue_tag into v_last
      from kiln.job_queue q
     where q.owner_id = new.owner_id and q.priority = new.priority
     order by q.queue_tag desc limit 1;
    select 1000 / p.queue_weight into v_step from public.profiles p where p.id = new.owner_id;
  else
    select q.queue_tag into v_last
      from kiln.job_queue q where q.priority = new.priority order by q.queue_tag desc limit 1;
  end if;
  new.queue_tag := greatest(v_last + v_step, v_front, 0);
  return new;
end $$;

-- An account's queued and running jobs, counted from the two tables (stopping at the cap, as before).
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
    from (select 1 from kiln.job_queue q where q.owner_id = p_owner_id
          union all
          select 1 from kiln.job_running r where r.owner_id = p_owner_id
          limit v_cap) active;
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
-- Leases are checked on the running jobs only.
create or replace function kiln.reap_expired_leases(p_limit integer default 1000)
returns table (job_id uuid, status public.job_status)
language plpgsql set search_path = '' as $$
declare
  v_job public.jobs;
begin
  for v_job in
    select j.* from kiln.job_running r
      join public.jobs j on j.id = r.job_id
     where j.status = 'running' and j.lease_expires_at < now()
     order by j.lease_expires_at
     limit p_limit
       for update of j skip locked
  loop
    v_job := kiln.retry_or_fail(v_job,
      jsonb_build_object('code', 'lease_expired', 'retryable', true, 'attempt', v_job.attempts,
        'message', format('worker %s stopped renewing its lease', v_job.worker_id)),
      interval '0', 'lease_expired');
    job_id := v_job.id;
    status := v_job.status;
    return next;
  end loop;
end $$;

-- Deadlines: the queued jobs' through their index, the running jobs' by reading them all.
create or replace function kiln.expire_deadlines(p_limit integer default 1000)
returns table (job_id uuid, previous_status public.job_status)
language plpgsql set search_path = '' as $$
declare
  v_job public.jobs;
begin
  for v_job in
    select j.* from public.jobs j
     where j.id in (select q.job_id from kiln.job_queue q where q.deadline <= now()
                    union all
                    select r.job_id from kiln.job_running r where r.deadline <= now())
       and j.status in ('queued', 'running') and j.deadline <= now()
     order by j.deadline
     limit p_limit
       for update of j skip locked
  loop
    perform kiln.finish_job(v_job.id, 'failed', null, jsonb_build_object(
      'code', 'deadline_exceeded', 'retryable', false, 'attempt', v_job.attempts,
      'message', format('the job did not finish by its deadline, %s', v_job.deadline)));
    job_id := v_job.id;
    previous_status := v_job.status;
    return next;
  end loop;
end $$;

-- Positions in the same claim order, from kiln.job_queue.
create or replace function kiln.queue_snapshot(p_type text, p_exact integer, p_every integer) returns jsonb
language sql stable set search_path = '' as $$
  with online as (
    select (row_number() over (order by w.id) - 1)::integer as n, w.capabilities -> 'can' as can
      from public.workers w
     where w.revoked_at is null and not w.draining and p_type = any(w.job_types)
       and w.last_seen_at > now() - make_interval(secs => (kiln.setting('worker_online_seconds'))::integer)
  ),
  claimable as (
    select q.job_id as id, q.priority, q.queue_tag, q.run_after, q.requirements
      from kiln.job_queue q
     where q.type = p_type and q.run_after <= now()
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
