-- How a job change reaches the outside: the event log, the webhook outbox, the owner's Realtime topic and,
-- when a job becomes claimable, a wake-up for workers. Called by every lifecycle function, inside its transaction.
-- Redefined later: kiln.enqueue_webhooks in 20261123001600_webhook_dispatch, kiln.publish_job_update in
-- 20261123001900_queue_snapshot. supabase/schema.sql holds the current definitions.

-- At most one unsent progress delivery per job and target: a newer tick replaces its payload (see below).
create unique index webhook_deliveries_unsent_progress on public.webhook_deliveries
  (job_id, (coalesce(endpoint_id, '00000000-0000-0000-0000-000000000000'::uuid)))
  where event_type = 'job.progress' and status = 'pending' and attempts = 0;

/**
 * Writes the outbox rows for one job event: one per enabled endpoint of the owner whose filter matches,
 * plus the job's own webhook URL. Progress ticks coalesce: while a progress delivery for the same job and
 * target is still unsent, the new tick replaces its payload, so a slow receiver gets the latest progress and
 * never a backlog of stale ones, and still gets it before the terminal event that follows.
 */
create function kiln.enqueue_webhooks(p_job public.jobs, p_event_id uuid, p_type text, p_summary jsonb)
returns void
language plpgsql set search_path = '' as $$
declare
  v_payload jsonb := jsonb_build_object('id', p_event_id, 'type', p_type, 'created_at', now(), 'data', p_summary);
begin
  if p_type not in ('job.queued', 'job.started', 'job.progress', 'job.succeeded', 'job.failed', 'job.canceled') then
    return;
  end if;
  -- Most accounts have no endpoint: this probe spares them the insert below on every transition.
  if p_job.webhook_url is null
     and not exists (select 1 from public.webhook_endpoints e where e.owner_id = p_job.owner_id and e.enabled) then
    return;
  end if;
  insert into public.webhook_deliveries as d (owner_id, endpoint_id, url, job_id, event_id, event_type, payload)
  select p_job.owner_id, e.id, e.url, p_job.id, p_event_id, p_type, v_payload
    from public.webhook_endpoints e
   where e.owner_id = p_job.owner_id and e.enabled and (p_type = any(e.events) or '*' = any(e.events))
  union all
  select p_job.owner_id, null, p_job.webhook_url, p_job.id, p_event_id, p_type, v_payload
   where p_job.webhook_url is not null
     and (p_job.webhook_events is null or p_type = any(p_job.webhook_events) or '*' = any(p_job.webhook_events))
  on conflict (job_id, (coalesce(endpoint_id, '00000000-0000-0000-0000-000000000000'::uuid)))
    where event_type = 'job.progress' and status = 'pending' and attempts = 0
  do update set payload = excluded.payload, event_id = excluded.event_id;
end $$;
grant execute on function kiln.enqueue_webhooks(public.jobs, uuid, text, jsonb) to service_role;

/**
 * Tells the world about a job change: webhooks, the owner's private Realtime topic `user:<owner id>`, and,
 * if the job is claimable now, a wake-up on the public topic `kiln:queue` and NOTIFY `kiln_queue` (for
 * long-polling workers). The wake-up carries no user data: a spoofed one costs a worker one empty claim.
 */
create function kiln.publish_job_update(p_job public.jobs, p_type text, p_event_id uuid)
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
    perform pg_notify('kiln_queue', p_job.type);
  end if;
end $$;
grant execute on function kiln.publish_job_update(public.jobs, text, uuid) to service_role;

/** Appends an event to the job's log and publishes it; returns the event id. */
create function kiln.record_job_event(p_job public.jobs, p_type text, p_data jsonb default '{}')
returns uuid
language plpgsql set search_path = '' as $$
declare
  v_event_id uuid;
begin
  insert into public.job_events (job_id, owner_id, type, status, data)
  values (p_job.id, p_job.owner_id, p_type, p_job.status, p_data)
  returning id into v_event_id;
  perform kiln.publish_job_update(p_job, p_type, v_event_id);
  return v_event_id;
end $$;
grant execute on function kiln.record_job_event(public.jobs, text, jsonb) to service_role;

/**
 * A signed-in user may join only their own private topic, `user:<their id>`.
 * realtime.messages belongs to supabase_realtime_admin. On hosted Supabase, `postgres` is not a superuser but may
 * create policies on it all the same: supautils' policy_grants allow it (measured on the hosted schema, 2026-12).
 * Where neither holds (plain PostgreSQL as a non-owner), this stops with the cause named, not a bare "must be owner".
 */
do $$
begin
  create policy "Users can receive their own job updates" on realtime.messages
    for select to authenticated
    using (extension = 'broadcast' and (select realtime.topic()) = 'user:' || (select auth.uid())::text);
exception when insufficient_privilege then
  raise exception 'Kiln cannot create its policy on realtime.messages as role %: %', current_user, sqlerrm
    using errcode = 'insufficient_privilege',
          hint = 'On hosted Supabase the postgres role may (supautils policy_grants). Elsewhere, apply the migrations '
                 'as the owner of realtime.messages or as a superuser.';
end $$;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
