-- Two costs off the API's hot paths.
-- Queue positions come from the API's per-isolate snapshot of each type's claim order (kiln.queue_snapshot),
-- not from counting the jobs ahead on every request: that count visits every job ahead, so a poll of a job at
-- the back of a deep queue cost O(depth) (1.2 ms per request 3,400 jobs deep, the most expensive part of a GET).
-- And a create may leave its NOTIFY to the caller, after the commit (kiln.publish_job_update says why).

/**
 * A job type's claimable queue in claim order, for the API to place jobs in it: {workers_online, cost_ms, keys},
 * where keys are [ahead, priority, run_after in µs since the epoch, id] (ahead = jobs before it). Every key among
 * the first `p_exact` and every `p_every`-th after, so a position is exact near the front and within `p_every`
 * beyond, and the answer stays small however deep the queue: 1,000,000 jobs deep is 10,000 + 9,900 keys.
 * The order is kiln.claim_jobs's: priority first, then due time, then id.
 */
create function kiln.queue_snapshot(p_type text, p_exact integer, p_every integer) returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'workers_online', kiln.workers_online(p_type),
    -- What the snapshot cost the server (ms), so the API can space its refreshes by it.
    'cost_ms', extract(epoch from clock_timestamp() - now()) * 1000,
    'keys', coalesce(jsonb_agg(jsonb_build_array(q.ahead, q.priority, q.run_after_us, q.id) order by q.ahead)
                       filter (where q.ahead < p_exact or q.ahead % p_every = 0), '[]'::jsonb))
    from (select j.id, j.priority, (extract(epoch from j.run_after) * 1000000)::bigint as run_after_us,
                 row_number() over (order by j.priority desc, j.run_after, j.id) - 1 as ahead
            from public.jobs j
           where j.status = 'queued' and j.type = p_type and j.run_after <= now()) q
$$;
grant execute on function kiln.queue_snapshot(text, integer, integer) to service_role;

/**
 * As in 20261123000700_job_notifications.sql, but the NOTIFY `kiln_queue` is skipped while the transaction has
 * `kiln.queue_notify` set to off. NOTIFY takes a database-wide lock at commit and holds it through the commit's
 * WAL flush, so transactions that NOTIFY commit one at a time: with 16 clients creating jobs, 507–651 creates/s
 * with it against 816–937 without. A caller that creates at a high rate (the API, through create_job's
 * p_notify) NOTIFYs after its commit instead, in a transaction that writes no WAL and so holds that lock only
 * for a moment.
 */
create or replace function kiln.publish_job_update(p_job public.jobs, p_type text, p_event_id uuid)
returns void
language plpgsql set search_path = '' as $$
declare
  v_summary jsonb := kiln.job_summary(p_job);
begin
  perform kiln.enqueue_webhooks(p_job, p_event_id, p_type, v_summary);
  perform realtime.send(
    jsonb_build_object('event_id', p_event_id, 'type', p_type, 'job', v_summary), p_type, 'user:' || p_job.owner_id, true);
  if p_job.status = 'queued' and p_job.run_after <= now() then
    perform realtime.send(jsonb_build_object('type', p_job.type, 'priority', p_job.priority), 'job_available', 'kiln:queue', false);
    if current_setting('kiln.queue_notify', true) is distinct from 'off' then
      perform pg_notify('kiln_queue', p_job.type);
    end if;
  end if;
end $$;

/**
 * Creates a job for `p_owner_id`, or returns the job an earlier identical request created: as
 * 20261123000800_job_create.sql, but it answers {job, replayed} without the queue, which the API now places,
 * and with `p_notify` false it leaves NOTIFY `kiln_queue` to the caller, to send once this has committed.
 */
drop function kiln.create_job(uuid, text, jsonb, bigint, uuid, uuid, integer, integer, integer, text, text, text, text[], jsonb);
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
  p_notify boolean default true
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
  -- Off for this job's event only, not for the rest of a transaction that called this.
  perform set_config('kiln.queue_notify', case when p_notify then 'on' else 'off' end, true);
  perform kiln.record_job_event(v_job, 'job.queued', jsonb_build_object('reason', 'created'));
  perform set_config('kiln.queue_notify', 'on', true);
  return jsonb_build_object('job', kiln.job_summary(v_job), 'replayed', false);
end $$;
grant execute on function kiln.create_job(uuid, text, jsonb, bigint, uuid, uuid, integer, integer, integer, text, text, text, text[], jsonb, boolean)
  to service_role;

drop function kiln.queue_position(uuid);

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
