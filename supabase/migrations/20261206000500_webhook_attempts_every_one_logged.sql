-- Every counted attempt of a webhook delivery has its row in webhook_attempts, and only one. Found by the chaos
-- suite: a dispatcher killed mid-batch had counted an attempt (at claim) that nothing ever logged, so a delivery
-- showed 8 attempts and 7 rows. Now a re-claim logs the lost attempt ("the dispatcher stopped before this attempt
-- ended"), and a late outcome of that attempt, if its dispatcher was only slow, replaces that row. One row per
-- (delivery, attempt) is a unique index; earlier duplicates (a stale outcome logged twice) keep their latest row.
delete from public.webhook_attempts a
 using public.webhook_attempts b
 where a.delivery_id = b.delivery_id and a.attempt = b.attempt and a.id < b.id;
drop index public.webhook_attempts_by_delivery;
create unique index webhook_attempts_by_delivery on public.webhook_attempts (delivery_id, attempt);

create or replace function kiln.claim_webhook_deliveries(
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
  ), lost as (
    -- A delivery claimed before and never recorded: its dispatcher stopped mid-attempt (killed, timed out) and
    -- the lease ran out. That attempt is logged now, so every counted attempt has its row.
    insert into public.webhook_attempts (delivery_id, owner_id, attempt, started_at, error, succeeded, next_attempt_at)
    select d.id, d.owner_id, d.attempts, coalesce(d.last_attempt_at, v_now),
           'the dispatcher stopped before this attempt ended; the delivery is sent again', false, v_now
      from public.webhook_deliveries d join due on due.id = d.id
     where d.attempts > 0
       and not exists (select 1 from public.webhook_attempts a where a.delivery_id = d.id and a.attempt = d.attempts)
    on conflict (delivery_id, attempt) do nothing
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

create or replace function kiln.record_webhook_attempt(
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
  -- A late outcome replaces the row logged for it when its lease ran out (claim_webhook_deliveries).
  if v_delivery.status = 'succeeded' or v_delivery.attempts <> p_attempt then
    insert into public.webhook_attempts (delivery_id, owner_id, attempt, started_at, duration_ms, response_code,
                                         response_excerpt, error, succeeded)
    values (p_delivery_id, v_delivery.owner_id, p_attempt, p_started_at, p_duration_ms, p_response_code,
            p_response_excerpt, p_error, v_ok)
    on conflict (delivery_id, attempt) do update
       set started_at = excluded.started_at, duration_ms = excluded.duration_ms,
           response_code = excluded.response_code, response_excerpt = excluded.response_excerpt,
           error = excluded.error, succeeded = excluded.succeeded;
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
