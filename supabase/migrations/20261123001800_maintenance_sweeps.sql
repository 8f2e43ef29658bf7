-- The maintenance sweeps the dispatcher runs (leases, deadlines, retention), at most once per interval however many
-- dispatchers call them, and the guarded pg_cron schedule that calls the dispatcher every 10 s through pg_net.

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
