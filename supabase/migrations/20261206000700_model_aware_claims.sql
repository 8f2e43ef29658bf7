-- Model-aware claims: "who can run this" means it. A job records what it needs of a worker's ComfyUI
-- (`requirements`: the model files its graph loads, and a stored workflow's node types; shared/comfyui/
-- requirements.ts computes them from the very graph the worker builds). A worker registers what its ComfyUI has
-- (`capabilities.can`, the same shape). A claim hands a worker only jobs whose requirements its `can` contains;
-- node types are judged only where the worker reports them. The queue snapshot lists what the online workers can
-- do, so a job no online worker can run says so in its warnings. A job that names no checkpoint runs with each
-- worker's default and requires none.
alter table public.jobs
  add column requirements jsonb not null default '{}' check (jsonb_typeof(requirements) = 'object');
comment on column public.jobs.requirements is
  'What the job needs of a worker''s ComfyUI: {checkpoints, upscale_models, loras, vae, node_types: [names]}.';

drop function kiln.create_job(uuid, text, jsonb, bigint, uuid, uuid, integer, integer, integer, text, text, text, text[], jsonb, boolean);
create function kiln.create_job(
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
      return jsonb_build_object('job', kiln.job_summary(v_job), 'replayed', true);
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
  return jsonb_build_object('job', kiln.job_summary(v_job), 'replayed', false);
end $$;
revoke all on function kiln.create_job(uuid, text, jsonb, bigint, uuid, uuid, integer, integer, integer, text, text, text, text[], jsonb, boolean, jsonb) from public;

create or replace function kiln.claim_jobs(
  p_worker_id uuid, p_job_types text[], p_limit integer, p_lease_seconds integer default null
) returns setof public.jobs
language plpgsql set search_path = '' as $$
declare
  v_lease interval := make_interval(secs => coalesce(p_lease_seconds, (kiln.setting('lease_seconds'))::integer));
  v_job public.jobs;
  v_worker public.workers;
  v_can jsonb;
begin
  perform set_config('synchronous_commit', 'off', true);
  v_worker := kiln.touch_worker(p_worker_id);
  if v_worker.draining then
    return;
  end if;
  -- What this worker's ComfyUI has (null: registered before workers reported it; it is then not judged).
  v_can := v_worker.capabilities -> 'can';
  for v_job in
    with claimable as (
      select j.id
        from public.jobs j
       where j.status = 'queued'
         and j.run_after <= now()
         and j.type = any(p_job_types)
         and (j.deadline is null or j.deadline > now())
         -- Only jobs whose models (and node types, where the worker reports them) its ComfyUI has.
         and (v_can is null or v_can @> case when v_can ? 'node_types' then j.requirements
                                            else j.requirements - 'node_types' end)
       order by j.priority desc, j.run_after, j.id
       limit p_limit
         for update skip locked
    )
    update public.jobs j
       set status = 'running', phase = 'claimed', progress = null, worker_id = p_worker_id,
           fencing_token = nextval('kiln.fencing_tokens'), attempts = j.attempts + 1,
           lease_expires_at = now() + v_lease, claimed_at = now(), started_at = null
      from claimable c
     where j.id = c.id
    returning j.*
  loop
    perform kiln.record_job_event(v_job, 'job.started', jsonb_build_object('attempt', v_job.attempts, 'worker_id', p_worker_id));
    return next v_job;
  end loop;
end $$;

create or replace function kiln.job_summary(p_job public.jobs) returns jsonb
language plpgsql stable set search_path = '' as $$
begin
  return jsonb_build_object(
    'id', p_job.id, 'type', p_job.type, 'params', p_job.params, 'status', p_job.status, 'phase', p_job.phase,
    'progress', p_job.progress, 'priority', p_job.priority, 'attempts', p_job.attempts,
    'max_attempts', p_job.max_attempts, 'cancel_requested', p_job.cancel_requested,
    'outputs', p_job.outputs, 'error', p_job.error, 'cost', p_job.cost, 'metadata', p_job.metadata,
    'workflow_id', p_job.workflow_id, 'run_after', p_job.run_after, 'deadline', p_job.deadline,
    'created_at', p_job.created_at, 'claimed_at', p_job.claimed_at, 'started_at', p_job.started_at,
    'finished_at', p_job.finished_at, 'requirements', p_job.requirements
  );
end $$;

create or replace function kiln.queue_snapshot(p_type text, p_exact integer, p_every integer) returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'workers_online', kiln.workers_online(p_type),
    -- What each online worker of the type has, so the API can tell a job no online worker can run.
    'workers_can', (select coalesce(jsonb_agg(coalesce(w.capabilities -> 'can', 'null'::jsonb)), '[]'::jsonb)
                      from public.workers w
                     where w.revoked_at is null and not w.draining and p_type = any(w.job_types)
                       and w.last_seen_at > now() - make_interval(secs => (kiln.setting('worker_online_seconds'))::integer)),
    -- What the snapshot cost the server (ms), so the API can space its refreshes by it.
    'cost_ms', extract(epoch from clock_timestamp() - now()) * 1000,
    'keys', coalesce(jsonb_agg(jsonb_build_array(q.ahead, q.priority, q.run_after_us, q.id) order by q.ahead)
                       filter (where q.ahead < p_exact or q.ahead % p_every = 0), '[]'::jsonb))
    from (select j.id, j.priority, (extract(epoch from j.run_after) * 1000000)::bigint as run_after_us,
                 row_number() over (order by j.priority desc, j.run_after, j.id) - 1 as ahead
            from public.jobs j
           where j.status = 'queued' and j.type = p_type and j.run_after <= now()) q
$$;
