-- Job creation: one transaction that checks, charges, inserts and announces.
-- Redefined in 20261123001900_queue_snapshot: kiln.create_job no longer answers the queue (kiln.queue_position is
-- dropped) and takes p_notify. supabase/schema.sql holds the current definition.

/**
 * Creates a job for `p_owner_id`, or returns the job an earlier identical request created.
 * Returns {job: <summary>, replayed: boolean, queue: kiln.queue_position} (the queue, so the API answers in one
 * round trip). Refusals, in the order they are checked:
 *   KL010 no such profile · KL004 Idempotency-Key reused with another request · KL001 maintenance
 *   · KL002 too many queued + running jobs · KL003 not enough credits.
 * The caller (the API) validates params with the job type's schema and computes the cost.
 */
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
  p_metadata jsonb default '{}'
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
      return jsonb_build_object('job', kiln.job_summary(v_job), 'replayed', true, 'queue', kiln.queue_position(v_job.id));
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
    idempotency_key, request_hash, webhook_url, webhook_events, metadata
  ) values (
    p_owner_id, p_api_key_id, p_type, p_workflow_id, p_params, p_priority,
    coalesce(p_max_attempts, (kiln.setting('max_attempts'))::integer),
    now() + make_interval(secs => p_deadline_seconds), p_cost,
    p_idempotency_key, p_request_hash, p_webhook_url, p_webhook_events, coalesce(p_metadata, '{}')
  ) returning * into v_job;

  if p_cost > 0 then
    perform kiln.post_credits(p_owner_id, -p_cost, 'job_charge', v_job.id);
  end if;
  perform kiln.record_job_event(v_job, 'job.queued', jsonb_build_object('reason', 'created'));
  return jsonb_build_object('job', kiln.job_summary(v_job), 'replayed', false, 'queue', kiln.queue_position(v_job.id));
end $$;
grant execute on function kiln.create_job(uuid, text, jsonb, bigint, uuid, uuid, integer, integer, integer, text, text, text, text[], jsonb)
  to service_role;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
