-- kiln.enqueue_webhooks is redefined in 20261206000100_job_event_types; supabase/schema.sql holds the current schema.
-- Webhook delivery, part 2 of 3: what the dispatcher (supabase/functions/dispatch) needs to send the outbox in
-- order, throttle progress, retry on a schedule, log every attempt and give up on endpoints that keep failing.

/**
 * When the next job.progress delivery of a job to a target may go: a second (webhook_progress_interval_ms)
 * after the last one was attempted, so a receiver gets at most one progress a second per job. The job's
 * deliveries are read newest first and the last attempted progress is among the first few (unsent ticks coalesce
 * into one row), so a long job's history of ticks is not scanned on every tick.
 */
create function kiln.next_progress_at(p_job_id uuid, p_endpoint_id uuid) returns timestamptz
language plpgsql stable set search_path = '' as $$
begin
  return greatest(now(), (
    select d.last_attempt_at from public.webhook_deliveries d
     where d.job_id = p_job_id and d.event_type = 'job.progress' and d.endpoint_id is not distinct from p_endpoint_id
       and d.last_attempt_at is not null
     order by d.created_at desc
     limit 1
  ) + make_interval(secs => (kiln.setting('webhook_progress_interval_ms'))::numeric / 1000));
end $$;
grant execute on function kiln.next_progress_at(uuid, uuid) to service_role;

/**
 * Writes the outbox rows for one job event (as 20261123000700 did), with two changes for delivery. A progress
 * delivery is due no sooner than a second after the previous one was attempted. A tick that replaces the payload
 * of an unsent progress delivery also moves it to the end of the job's order (a new seq): it is the latest news,
 * so it must not overtake events written since the row was created (a retry's job.queued and job.started).
 */
create or replace function kiln.enqueue_webhooks(p_job public.jobs, p_event_id uuid, p_type text, p_summary jsonb)
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
  insert into public.webhook_deliveries as d
    (owner_id, endpoint_id, url, job_id, event_id, event_type, payload, next_attempt_at)
  select p_job.owner_id, t.endpoint_id, t.url, p_job.id, p_event_id, p_type, v_payload,
         case when p_type = 'job.progress' then kiln.next_progress_at(p_job.id, t.endpoint_id) else now() end
    from (
      select e.id as endpoint_id, e.url
        from public.webhook_endpoints e
       where e.owner_id = p_job.owner_id and e.enabled and (p_type = any(e.events) or '*' = any(e.events))
      union all
      select null, p_job.webhook_url
       where p_job.webhook_url is not null
         and (p_job.webhook_events is null or p_type = any(p_job.webhook_events) or '*' = any(p_job.webhook_events))
    ) t
  on conflict (job_id, (coalesce(endpoint_id, '00000000-0000-0000-0000-000000000000'::uuid)))
    where event_type = 'job.progress' and status = 'pending' and attempts = 0
  do update set payload = excluded.payload, event_id = excluded.event_id, created_at = excluded.created_at,
                seq = default;
end $$;

/**
 * Claims up to `p_limit` due deliveries for one dispatcher. A delivery is claimable only when no earlier delivery
 * (by seq) of the same job to the same target is still pending: one that is being sent or waits for a retry holds
 * back the rest of its job's events to that target, a dead one does not. So a receiver never gets a job's
 * job.succeeded before its job.started, whatever the number of dispatchers. Deliveries of different jobs or
 * targets go in parallel. The claim counts the attempt and pushes next_attempt_at `p_lease_seconds` ahead: if the
 * dispatcher dies, the delivery comes back then. Rows come with the URL (the endpoint's current one) and the
 * secrets to sign with.
 */
create function kiln.claim_webhook_deliveries(
  p_limit integer default 100, p_lease_seconds integer default 60, p_now timestamptz default null
) returns table (
  id uuid, owner_id uuid, endpoint_id uuid, job_id uuid, url text, event_id uuid, event_type text,
  payload jsonb, attempt integer, secrets text[]
)
language plpgsql set search_path = '' as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, now());
begin
  return query
  with due as (
    select d.id from public.webhook_deliveries d
     where d.status = 'pending' and d.next_attempt_at <= v_now
       and (d.job_id is null or not exists (
             select 1 from public.webhook_deliveries e
              where e.job_id = d.job_id and e.status = 'pending' and e.seq < d.seq
                and e.endpoint_id is not distinct from d.endpoint_id))
       and (d.endpoint_id is null or exists (
             select 1 from public.webhook_endpoints w where w.id = d.endpoint_id and w.enabled))
     order by d.next_attempt_at
     limit p_limit
       for update of d skip locked
  ), claimed as (
    update public.webhook_deliveries d
       set attempts = d.attempts + 1, last_attempt_at = v_now,
           next_attempt_at = v_now + make_interval(secs => p_lease_seconds)
      from due
     where d.id = due.id
    returning d.*
  )
  select c.id, c.owner_id, c.endpoint_id, c.job_id, coalesce(w.url, c.url), c.event_id, c.event_type, c.payload,
         c.attempts,
         case when c.endpoint_id is null
              then coalesce((select kiln.signing_secrets(s.secret, s.previous_secret, s.previous_secret_expires_at, v_now)
                               from kiln.account_webhook_secrets s where s.owner_id = c.owner_id),
                            array[kiln.account_webhook_secret(c.owner_id)])
              else kiln.signing_secrets(w.secret, w.previous_secret, w.previous_secret_expires_at, v_now)
         end
    from claimed c
    left join public.webhook_endpoints w on w.id = c.endpoint_id;
end $$;
grant execute on function kiln.claim_webhook_deliveries(integer, integer, timestamptz) to service_role;

/**
 * When the next delivery that nothing holds back falls due, if later than `p_now`; null when none is waiting.
 * A dispatcher about to stop lingers until then when it is soon (a progress delivery spaced a second apart, a
 * 5 s retry), instead of leaving it to the next cron tick.
 */
create function kiln.next_webhook_due(p_now timestamptz default null) returns timestamptz
language plpgsql stable set search_path = '' as $$
declare
  v_now timestamptz := coalesce(p_now, now());
begin
  return (
    select min(d.next_attempt_at) from public.webhook_deliveries d
     where d.status = 'pending' and d.next_attempt_at > v_now
       and (d.job_id is null or not exists (
             select 1 from public.webhook_deliveries e
              where e.job_id = d.job_id and e.status = 'pending' and e.seq < d.seq
                and e.endpoint_id is not distinct from d.endpoint_id)));
end $$;
grant execute on function kiln.next_webhook_due(timestamptz) to service_role;

/**
 * When a delivery whose attempt number `p_attempts` failed is tried again: the schedule's wait for that attempt
 * (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with ±10% jitter, or the receiver's Retry-After, bounded to
 * [1 s, webhook_retry_after_max_seconds]. Null when the schedule is used up: the delivery is dead.
 */
create function kiln.webhook_retry_at(p_attempts integer, p_now timestamptz, p_retry_after_seconds integer default null)
returns timestamptz
language plpgsql volatile set search_path = '' as $$
declare
  v_schedule jsonb := kiln.setting('webhook_retry_schedule_seconds');
begin
  if p_attempts > jsonb_array_length(v_schedule) then
    return null;
  end if;
  if p_retry_after_seconds is not null then
    return p_now + make_interval(secs => least(greatest(p_retry_after_seconds, 1),
                                               (kiln.setting('webhook_retry_after_max_seconds'))::integer));
  end if;
  return p_now + make_interval(secs => (v_schedule ->> (p_attempts - 1))::numeric * (0.9 + random() * 0.2));
end $$;
grant execute on function kiln.webhook_retry_at(integer, timestamptz, integer) to service_role;

/**
 * Disables an endpoint with a reason that GET /v1/webhooks shows. Its pending deliveries die with that reason
 * rather than wait for an endpoint that may never come back; replay them once it is enabled again. Deliveries
 * being recorded right now are skipped here: their own record sees the endpoint disabled and ends them.
 * Returns how many deliveries it stopped.
 */
create function kiln.disable_webhook_endpoint(p_endpoint_id uuid, p_reason text) returns integer
language plpgsql set search_path = '' as $$
declare
  v_stopped integer;
begin
  update public.webhook_endpoints e
     set enabled = false, disabled_reason = p_reason, updated_at = now()
   where e.id = p_endpoint_id;
  with stopped as (
    update public.webhook_deliveries d
       set status = 'dead', last_error = 'not sent: the endpoint was disabled (' || p_reason || ')'
     where d.id in (select p.id from public.webhook_deliveries p
                     where p.endpoint_id = p_endpoint_id and p.status = 'pending'
                       for update skip locked)
    returning 1
  )
  select count(*) into v_stopped from stopped;
  return v_stopped;
end $$;
grant execute on function kiln.disable_webhook_endpoint(uuid, text) to service_role;

/** Enables an endpoint again with a clean failure record. `p_owner_id` null: an administrator. KL005: no such endpoint. */
create function kiln.enable_webhook_endpoint(p_endpoint_id uuid, p_owner_id uuid) returns void
language plpgsql set search_path = '' as $$
begin
  perform kiln.owned_webhook_endpoint(p_endpoint_id, p_owner_id);
  update public.webhook_endpoints e
     set enabled = true, disabled_reason = null, failure_streak = 0, failing_since = null, updated_at = now()
   where e.id = p_endpoint_id;
end $$;
grant execute on function kiln.enable_webhook_endpoint(uuid, uuid) to service_role;

/**
 * Records how attempt `p_attempt` of a delivery went, and decides what comes next; every attempt is logged in
 * webhook_attempts. 2xx: delivered, and the endpoint's failure streak ends. 410: the receiver wants no more, so
 * the delivery is dead and its endpoint disabled. Any other outcome (an error status, a redirect, a timeout, a
 * refused address): retried on the schedule, or after the Retry-After of a 429 or 503; dead when the schedule is
 * used up. An endpoint failing 50 deliveries in a row, or for 3 days in a row, is disabled. An attempt whose
 * claim was overtaken (its lease ran out and another dispatcher claimed the delivery again) is logged but changes
 * nothing. Returns {status, next_attempt_at, endpoint_disabled}.
 */
create function kiln.record_webhook_attempt(
  p_delivery_id uuid, p_attempt integer, p_started_at timestamptz, p_duration_ms integer,
  p_response_code integer default null, p_response_excerpt text default null, p_error text default null,
  p_retry_after_seconds integer default null, p_now timestamptz default null
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_now timestamptz := coalesce(p_now, now());
  v_delivery public.webhook_deliveries;
  v_endpoint public.webhook_endpoints;
  v_ok boolean := coalesce(p_response_code between 200 and 299, false);
  v_status public.delivery_status;
  v_next timestamptz;
  v_error text := p_error;
  v_disable text;
  v_rule jsonb;
begin
  select * into v_delivery from public.webhook_deliveries d where d.id = p_delivery_id for update;
  if not found then
    return jsonb_build_object('status', 'gone');
  end if;
  -- Dead but still this attempt's: its endpoint was disabled while it was out, and its outcome is still the news.
  if v_delivery.status = 'succeeded' or v_delivery.attempts <> p_attempt then
    insert into public.webhook_attempts (delivery_id, owner_id, attempt, started_at, duration_ms, response_code,
                                         response_excerpt, error, succeeded)
    values (p_delivery_id, v_delivery.owner_id, p_attempt, p_started_at, p_duration_ms, p_response_code,
            p_response_excerpt, p_error, v_ok);
    return jsonb_build_object('status', v_delivery.status, 'stale', true);
  end if;

  if v_ok then
    v_status := 'succeeded';
  elsif p_response_code = 410 then
    v_status := 'dead';
    v_error := '410 Gone: the receiver asked for no more deliveries';
    if v_delivery.endpoint_id is not null then
      v_disable := 'the endpoint answered 410 Gone';
    end if;
  else
    v_next := kiln.webhook_retry_at(v_delivery.attempts, v_now,
                                    case when p_response_code in (429, 503) then p_retry_after_seconds end);
    v_status := case when v_next is null then 'dead'::public.delivery_status else 'pending' end;
  end if;

  if v_delivery.endpoint_id is not null then
    if v_ok then
      -- Only when there is a streak to end: most deliveries succeed, and this row is every delivery's to lock.
      update public.webhook_endpoints e set failure_streak = 0, failing_since = null
       where e.id = v_delivery.endpoint_id and (e.failure_streak <> 0 or e.failing_since is not null);
    else
      update public.webhook_endpoints e
         set failure_streak = e.failure_streak + 1, failing_since = coalesce(e.failing_since, v_now)
       where e.id = v_delivery.endpoint_id
      returning * into v_endpoint;
      v_rule := kiln.setting('webhook_disable_after');
      if not v_endpoint.enabled then
        -- Disabled while this attempt was out: stop here too.
        v_status := 'dead';
        v_next := null;
      elsif v_disable is null and v_endpoint.failure_streak >= (v_rule ->> 'failures')::integer then
        v_disable := format('%s deliveries failed in a row', v_endpoint.failure_streak);
      elsif v_disable is null and v_endpoint.failing_since <= v_now - make_interval(days => (v_rule ->> 'days')::integer) then
        v_disable := format('deliveries have failed for %s days in a row, since %s', v_rule ->> 'days',
                            v_endpoint.failing_since);
      end if;
    end if;
  end if;
  if v_disable is not null then
    v_status := 'dead';
    v_next := null;
  end if;

  update public.webhook_deliveries d
     set status = v_status,
         next_attempt_at = coalesce(v_next, d.next_attempt_at),
         last_response_code = p_response_code,
         last_response_excerpt = p_response_excerpt,
         last_duration_ms = p_duration_ms,
         last_error = case when v_ok then null else v_error end,
         delivered_at = case when v_ok then v_now end
   where d.id = p_delivery_id;
  insert into public.webhook_attempts (delivery_id, owner_id, attempt, started_at, duration_ms, response_code,
                                       response_excerpt, error, succeeded, next_attempt_at)
  values (p_delivery_id, v_delivery.owner_id, p_attempt, p_started_at, p_duration_ms, p_response_code,
          p_response_excerpt, case when v_ok then null else v_error end, v_ok, v_next);
  if v_disable is not null then
    perform kiln.disable_webhook_endpoint(v_delivery.endpoint_id, v_disable);
  end if;
  -- A progress delivery that went out after retries must not be followed by the next one within the second.
  if v_ok and v_delivery.event_type = 'job.progress' then
    update public.webhook_deliveries n
       set next_attempt_at = greatest(n.next_attempt_at, v_delivery.last_attempt_at
             + make_interval(secs => (kiln.setting('webhook_progress_interval_ms'))::numeric / 1000))
     where n.job_id = v_delivery.job_id and n.status = 'pending' and n.attempts = 0
       and n.event_type = 'job.progress' and n.endpoint_id is not distinct from v_delivery.endpoint_id;
  end if;
  return jsonb_build_object('status', v_status, 'next_attempt_at', v_next, 'endpoint_disabled', v_disable);
end $$;
grant execute on function kiln.record_webhook_attempt(uuid, integer, timestamptz, integer, integer, text, text, integer, timestamptz)
  to service_role;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
