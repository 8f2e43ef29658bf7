-- Webhook delivery: what the dispatcher (supabase/functions/dispatch) needs to send the outbox in order, retry it
-- on a schedule, log every attempt, give up on endpoints that keep failing and replay on request; the account
-- secret that signs per-job webhooks; and the maintenance sweeps the dispatcher runs. Times that rules depend on
-- come in as `p_now` (default now()), so tests move the clock instead of waiting.

insert into kiln.settings (key, value, description) values
  ('webhook_retry_schedule_seconds', '[5, 300, 1800, 7200, 18000, 36000, 36000]',
   'Waits before each retry of a failed webhook delivery, with ±10% jitter; after the last retry fails, the delivery is dead.'),
  ('webhook_retry_after_max_seconds', '3600',
   'The longest Retry-After (from a 429 or 503) that a delivery honours instead of its schedule.'),
  ('webhook_disable_after', '{"failures": 50, "days": 3}',
   'An endpoint is disabled after this many failed deliveries in a row, or after failing for this many days in a row.'),
  ('webhook_progress_interval_ms', '1000',
   'At most one job.progress delivery per job and target in this many milliseconds.'),
  ('retention', '{"job_events_days": 30, "webhook_deliveries_days": 30, "broadcast_hours": 24, "rate_limit_hours": 1}',
   'How long the sweeps keep job events, finished webhook deliveries (with their attempts), Realtime broadcast messages and rate-limit windows.');

-- Order of delivery. created_at is the enqueuing transaction's start, which a transition that waited for the job's
-- row lock can have earlier than the transition it waited for; a sequence value is drawn at insert, under that lock,
-- so for one job it follows the order of the events.
alter table public.webhook_deliveries add column seq bigint generated always as identity;
-- A replay is a new delivery of the same event (same webhook-id) with a schedule of its own; this says of which.
alter table public.webhook_deliveries add column replay_of uuid references public.webhook_deliveries (id) on delete set null;
-- The claim's order check: a job's pending deliveries, in order. Partial, so delivered ones leave it.
create index webhook_deliveries_pending_by_job on public.webhook_deliveries (job_id, seq) where status = 'pending';
-- Retention walks finished deliveries by age.
create index webhook_deliveries_finished on public.webhook_deliveries (created_at) where status <> 'pending';

-- Every attempt, kept apart from the delivery's last_* columns, which only say how the latest one went.
create table public.webhook_attempts (
  id bigint generated always as identity primary key,
  delivery_id uuid not null references public.webhook_deliveries (id) on delete cascade,
  -- Copied from the delivery so the RLS check needs no join.
  owner_id uuid not null,
  -- 1 for the first attempt of the delivery.
  attempt integer not null check (attempt >= 1),
  started_at timestamptz not null,
  duration_ms integer,
  -- Null when no response came: timeout, refused address, connection error (then `error` says which).
  response_code integer,
  response_excerpt text,
  error text,
  succeeded boolean not null,
  -- When the delivery tries again after this attempt; null when it ended here (delivered or dead).
  next_attempt_at timestamptz,
  created_at timestamptz not null default now()
);
create index webhook_attempts_by_delivery on public.webhook_attempts (delivery_id, attempt);
alter table public.webhook_attempts enable row level security;
revoke all on public.webhook_attempts from anon, authenticated;
grant select on public.webhook_attempts to authenticated;

/** Signed-in users see every attempt made to deliver their webhooks. */
create policy "Users can read their own webhook attempts" on public.webhook_attempts
  for select to authenticated using (owner_id = (select auth.uid()));

-- The `whsec_…` secret that signs an account's per-job webhooks (jobs.webhook_url). In kiln, which no client can
-- reach: the API shows it to its owner, nothing else does.
create table kiln.account_webhook_secrets (
  owner_id uuid primary key references public.profiles (id) on delete cascade,
  secret text not null,
  -- During a rotation both signatures are sent until previous_secret_expires_at.
  previous_secret text,
  previous_secret_expires_at timestamptz,
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);
alter table kiln.account_webhook_secrets enable row level security;

/**
 * A fresh Standard Webhooks secret: `whsec_` and 32 bytes in base64. The bytes come from two random UUIDs (244
 * random bits), since gen_random_uuid is in core PostgreSQL and pgcrypto is not everywhere Kiln runs (PGlite).
 */
create function kiln.new_webhook_secret() returns text
language plpgsql volatile set search_path = '' as $$
begin
  return 'whsec_' || encode(decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'), 'base64');
end $$;
grant execute on function kiln.new_webhook_secret() to service_role;

/** The account's webhook secret, made on first use (most accounts never need one). */
create function kiln.account_webhook_secret(p_owner_id uuid) returns text
language plpgsql set search_path = '' as $$
declare
  v_secret text;
begin
  select s.secret into v_secret from kiln.account_webhook_secrets s where s.owner_id = p_owner_id;
  if found then
    return v_secret;
  end if;
  insert into kiln.account_webhook_secrets (owner_id, secret) values (p_owner_id, kiln.new_webhook_secret())
  on conflict (owner_id) do nothing
  returning secret into v_secret;
  -- A concurrent first use won the insert: its secret is the one.
  return coalesce(v_secret, (select s.secret from kiln.account_webhook_secrets s where s.owner_id = p_owner_id));
end $$;
grant execute on function kiln.account_webhook_secret(uuid) to service_role;

/** The secrets a delivery is signed with: the current one, and the previous one until its grace period ends. */
create function kiln.signing_secrets(p_secret text, p_previous text, p_previous_expires_at timestamptz, p_now timestamptz)
returns text[]
language plpgsql immutable set search_path = '' as $$
begin
  if p_previous is not null and p_previous_expires_at > p_now then
    return array[p_secret, p_previous];
  end if;
  return array[p_secret];
end $$;
grant execute on function kiln.signing_secrets(text, text, timestamptz, timestamptz) to service_role;

/**
 * Gives an endpoint a new secret and returns it; the old one keeps signing too (a second signature) for
 * `p_grace`, so receivers can switch without losing a delivery. `p_owner_id` null: an administrator.
 */
create function kiln.rotate_webhook_secret(p_endpoint_id uuid, p_owner_id uuid, p_grace interval default interval '24 hours')
returns text
language plpgsql set search_path = '' as $$
declare
  v_secret text := kiln.new_webhook_secret();
begin
  update public.webhook_endpoints e
     set previous_secret = e.secret, previous_secret_expires_at = now() + p_grace, secret = v_secret, updated_at = now()
   where e.id = p_endpoint_id and (p_owner_id is null or e.owner_id = p_owner_id);
  if not found then
    raise exception 'no webhook endpoint %', p_endpoint_id using errcode = 'KL005';
  end if;
  return v_secret;
end $$;
grant execute on function kiln.rotate_webhook_secret(uuid, uuid, interval) to service_role;

/** The same rotation for the account secret that signs per-job webhooks. */
create function kiln.rotate_account_webhook_secret(p_owner_id uuid, p_grace interval default interval '24 hours')
returns text
language plpgsql set search_path = '' as $$
declare
  v_secret text := kiln.new_webhook_secret();
begin
  perform kiln.account_webhook_secret(p_owner_id);
  update kiln.account_webhook_secrets s
     set previous_secret = s.secret, previous_secret_expires_at = now() + p_grace, secret = v_secret, rotated_at = now()
   where s.owner_id = p_owner_id;
  return v_secret;
end $$;
grant execute on function kiln.rotate_account_webhook_secret(uuid, interval) to service_role;

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
  update public.webhook_endpoints e
     set enabled = true, disabled_reason = null, failure_streak = 0, failing_since = null, updated_at = now()
   where e.id = p_endpoint_id and (p_owner_id is null or e.owner_id = p_owner_id);
  if not found then
    raise exception 'no webhook endpoint %', p_endpoint_id using errcode = 'KL005';
  end if;
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

/**
 * Sends a finished delivery again: a new delivery of the same event (same webhook-id, so receivers that
 * already have it can tell), due now, with a full schedule of its own; the original keeps its log. Refused while
 * the original is pending (KL007) or its endpoint is disabled (KL007: enable it first). `p_owner_id` null: an
 * administrator; another owner's delivery is not found (KL005). Returns the new delivery's id.
 */
create function kiln.replay_delivery(p_delivery_id uuid, p_owner_id uuid default null) returns uuid
language plpgsql set search_path = '' as $$
declare
  v_original public.webhook_deliveries;
  v_id uuid;
begin
  select * into v_original from public.webhook_deliveries d
   where d.id = p_delivery_id and (p_owner_id is null or d.owner_id = p_owner_id);
  if not found then
    raise exception 'no webhook delivery %', p_delivery_id using errcode = 'KL005';
  end if;
  if v_original.status = 'pending' then
    raise exception 'delivery % is still pending; it will be tried again at %', p_delivery_id, v_original.next_attempt_at
      using errcode = 'KL007', detail = jsonb_build_object('status', v_original.status)::text;
  end if;
  if exists (select 1 from public.webhook_endpoints e where e.id = v_original.endpoint_id and not e.enabled) then
    raise exception 'the endpoint of delivery % is disabled; enable it before replaying', p_delivery_id
      using errcode = 'KL007', detail = jsonb_build_object('endpoint_id', v_original.endpoint_id)::text;
  end if;
  insert into public.webhook_deliveries (owner_id, endpoint_id, url, job_id, event_id, event_type, payload, replay_of)
  values (v_original.owner_id, v_original.endpoint_id, v_original.url, v_original.job_id, v_original.event_id,
          v_original.event_type, v_original.payload, v_original.id)
  returning id into v_id;
  return v_id;
end $$;
grant execute on function kiln.replay_delivery(uuid, uuid) to service_role;

/**
 * Replays every dead delivery of an endpoint created since `p_since` (after an outage was fixed), in their
 * original order, skipping events already pending again. Same refusals as replay_delivery. Returns how many.
 */
create function kiln.replay_failed_deliveries(p_endpoint_id uuid, p_since timestamptz, p_owner_id uuid default null)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
  v_count integer;
begin
  select * into v_endpoint from public.webhook_endpoints e
   where e.id = p_endpoint_id and (p_owner_id is null or e.owner_id = p_owner_id);
  if not found then
    raise exception 'no webhook endpoint %', p_endpoint_id using errcode = 'KL005';
  end if;
  if not v_endpoint.enabled then
    raise exception 'webhook endpoint % is disabled; enable it before replaying', p_endpoint_id using errcode = 'KL007';
  end if;
  -- The unsent-progress index admits one pending fresh progress per job and target: a replay never adds a second.
  insert into public.webhook_deliveries (owner_id, endpoint_id, url, job_id, event_id, event_type, payload, replay_of)
  select d.owner_id, d.endpoint_id, d.url, d.job_id, d.event_id, d.event_type, d.payload, d.id
    from public.webhook_deliveries d
   where d.endpoint_id = p_endpoint_id and d.status = 'dead' and d.created_at >= p_since
     and not exists (select 1 from public.webhook_deliveries p
                      where p.endpoint_id = p_endpoint_id and p.event_id = d.event_id and p.status = 'pending')
   order by d.seq
  on conflict do nothing;
  get diagnostics v_count = row_count;
  return v_count;
end $$;
grant execute on function kiln.replay_failed_deliveries(uuid, timestamptz, uuid) to service_role;

/** Queues a `ping` event to an endpoint (POST /v1/webhooks/:id/test); returns the delivery id. KL005: not found. */
create function kiln.enqueue_webhook_ping(p_endpoint_id uuid, p_owner_id uuid default null) returns uuid
language plpgsql set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
  v_event_id uuid := gen_random_uuid();
  v_id uuid;
begin
  select * into v_endpoint from public.webhook_endpoints e
   where e.id = p_endpoint_id and (p_owner_id is null or e.owner_id = p_owner_id);
  if not found then
    raise exception 'no webhook endpoint %', p_endpoint_id using errcode = 'KL005';
  end if;
  insert into public.webhook_deliveries (owner_id, endpoint_id, url, event_id, event_type, payload)
  values (v_endpoint.owner_id, v_endpoint.id, v_endpoint.url, v_event_id, 'ping',
          jsonb_build_object('id', v_event_id, 'type', 'ping', 'created_at', now(),
                             'data', jsonb_build_object('endpoint_id', v_endpoint.id,
                                                        'message', 'A test event from Kiln: this endpoint receives webhooks.')))
  returning id into v_id;
  return v_id;
end $$;
grant execute on function kiln.enqueue_webhook_ping(uuid, uuid) to service_role;

/**
 * Where the local stack runs the dispatcher as a loop, a delivery wakes it at once: NOTIFY `kiln_dispatch`, only
 * while `kiln.dispatch_notify` is on (the stack sets it). Nowhere else: a transaction that NOTIFYs holds a
 * database-wide lock through its commit. Once per statement, however many rows it wrote.
 */
create function kiln.tg_webhook_deliveries__notify() returns trigger
language plpgsql set search_path = '' as $$
begin
  if current_setting('kiln.dispatch_notify', true) = 'on' then
    perform pg_notify('kiln_dispatch', '');
  end if;
  return null;
end $$;
create trigger _900_notify after insert on public.webhook_deliveries
  for each statement execute function kiln.tg_webhook_deliveries__notify();

-- The sweeps' last runs: sweeps run at most this often however many dispatchers call them.
create table kiln.sweep_runs (
  name text primary key,
  last_run_at timestamptz not null
);
alter table kiln.sweep_runs enable row level security;

/** Whether sweep `p_name` is due (not run within `p_every`); if so this caller runs it, and no other caller does. */
create function kiln.sweep_due(p_name text, p_every interval, p_now timestamptz) returns boolean
language plpgsql set search_path = '' as $$
begin
  insert into kiln.sweep_runs as r (name, last_run_at) values (p_name, p_now)
  on conflict (name) do update set last_run_at = excluded.last_run_at
   where r.last_run_at <= p_now - p_every;
  return found;
end $$;
grant execute on function kiln.sweep_due(text, interval, timestamptz) to service_role;

/**
 * Deletes what has outlived the `retention` setting, at most `p_batch` rows of each kind per call: job events
 * (by seq, the log's order, which needs no index on time), finished webhook deliveries with their attempts,
 * Realtime broadcast messages and old rate-limit windows. On a hosted project Realtime manages
 * realtime.messages itself; where this role may not delete there, that part is skipped.
 */
create function kiln.prune_expired_rows(p_now timestamptz default null, p_batch integer default 5000) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_now timestamptz := coalesce(p_now, now());
  v_keep jsonb := kiln.setting('retention');
  v_first bigint;
  v_events integer;
  v_deliveries integer;
  v_counters integer;
  v_messages integer;
begin
  select min(e.seq) into v_first from public.job_events e;
  delete from public.job_events e
   where e.seq >= v_first and e.seq < v_first + p_batch
     and e.created_at < v_now - make_interval(days => (v_keep ->> 'job_events_days')::integer);
  get diagnostics v_events = row_count;

  delete from public.webhook_deliveries d
   where d.id in (select f.id from public.webhook_deliveries f
                   where f.status <> 'pending'
                     and f.created_at < v_now - make_interval(days => (v_keep ->> 'webhook_deliveries_days')::integer)
                   order by f.created_at limit p_batch);
  get diagnostics v_deliveries = row_count;

  delete from kiln.rate_limit_counters c
   where c.window_start < v_now - make_interval(hours => (v_keep ->> 'rate_limit_hours')::integer);
  get diagnostics v_counters = row_count;

  begin
    delete from realtime.messages m
     where m.id in (select x.id from realtime.messages x
                     where x.inserted_at < v_now - make_interval(hours => (v_keep ->> 'broadcast_hours')::integer)
                     limit p_batch);
    get diagnostics v_messages = row_count;
  exception when insufficient_privilege or undefined_table or undefined_column then
    v_messages := null;
  end;
  return jsonb_build_object('job_events', v_events, 'webhook_deliveries', v_deliveries,
                            'rate_limit_counters', v_counters, 'broadcast_messages', v_messages);
end $$;
grant execute on function kiln.prune_expired_rows(timestamptz, integer) to service_role;

/**
 * The maintenance the dispatcher runs on each call, each part no more often than its interval across every
 * dispatcher: expired leases and deadlines every 5 s (a crashed worker's job is back in the queue within seconds
 * of its lease), retention every 10 min. `p_force` runs every part now (tests). Returns what each part did;
 * a part not due is absent.
 */
create function kiln.run_sweeps(p_now timestamptz default null, p_force boolean default false) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_now timestamptz := coalesce(p_now, now());
  v_done jsonb := '{}';
begin
  if p_force or kiln.sweep_due('leases', interval '5 seconds', v_now) then
    v_done := v_done || jsonb_build_object(
      'reaped', (select count(*) from kiln.reap_expired_leases()),
      'deadlines_expired', (select count(*) from kiln.expire_deadlines()));
  end if;
  if p_force or kiln.sweep_due('retention', interval '10 minutes', v_now) then
    v_done := v_done || jsonb_build_object('pruned', kiln.prune_expired_rows(v_now));
  end if;
  return v_done;
end $$;
grant execute on function kiln.run_sweeps(timestamptz, boolean) to service_role;

/**
 * What pg_cron runs every 10 s: POST the dispatcher through pg_net, with its URL and secret from Vault
 * (secrets `kiln_dispatch_url`, e.g. https://<ref>.supabase.co/functions/v1/dispatch/run, and
 * `kiln_dispatch_secret`, the function's KILN_DISPATCH_SECRET). Returns pg_net's request id; null, with a notice,
 * when a secret is missing. The timeout covers a run's time budget plus one send.
 */
create function kiln.dispatch_from_cron() returns bigint
language plpgsql set search_path = '' as $$
declare
  v_url text;
  v_secret text;
begin
  if to_regclass('vault.decrypted_secrets') is null then
    raise notice 'kiln: Vault is not installed; the dispatcher cannot be called from the database';
    return null;
  end if;
  select s.decrypted_secret into v_url from vault.decrypted_secrets s where s.name = 'kiln_dispatch_url';
  select s.decrypted_secret into v_secret from vault.decrypted_secrets s where s.name = 'kiln_dispatch_secret';
  if v_url is null or v_secret is null then
    raise notice 'kiln: create the Vault secrets kiln_dispatch_url and kiln_dispatch_secret to call the dispatcher';
    return null;
  end if;
  return net.http_post(
    url := v_url,
    body := jsonb_build_object('source', 'cron'),
    headers := jsonb_build_object('content-type', 'application/json', 'authorization', 'Bearer ' || v_secret),
    timeout_milliseconds := 30000);
end $$;
grant execute on function kiln.dispatch_from_cron() to service_role;

/**
 * Schedules kiln.dispatch_from_cron with pg_cron (job `kiln-dispatch`, every `p_schedule`; scheduling again
 * replaces it). Where pg_cron or pg_net is not installed it only says so and returns false: the migration calls it,
 * and must apply on plain PostgreSQL and PGlite. After enabling both on a hosted project, call it once.
 */
create function kiln.schedule_dispatch(p_schedule text default '10 seconds') returns boolean
language plpgsql set search_path = '' as $$
begin
  if (select count(*) from pg_catalog.pg_extension x where x.extname in ('pg_cron', 'pg_net')) < 2 then
    raise notice 'kiln: pg_cron and pg_net are not both installed; the dispatcher runs only when kicked or looped (see README, Webhooks delivery)';
    return false;
  end if;
  perform cron.schedule('kiln-dispatch', p_schedule, 'select kiln.dispatch_from_cron()');
  return true;
end $$;
grant execute on function kiln.schedule_dispatch(text) to service_role;

select kiln.schedule_dispatch();

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
