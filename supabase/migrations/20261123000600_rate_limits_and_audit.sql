-- The Postgres fallback rate limiter (used when no Upstash Redis is configured) and the audit log.
-- Since 20261123001300_rate_limit_batches, kiln.rate_limit_hit is dropped (limits are decided in the isolate and
-- synced in batches). supabase/schema.sql holds the current schema.

create table kiln.rate_limit_counters (
  key text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  primary key (key, window_start)
);
alter table kiln.rate_limit_counters enable row level security;

/**
 * Counts one hit against `p_key` in the current fixed window and says whether it is allowed.
 * One upsert, so concurrent hits on one key never lose a count. Old windows are swept by the dispatcher.
 */
create function kiln.rate_limit_hit(p_key text, p_limit integer, p_window_seconds integer)
returns table (allowed boolean, remaining integer, reset_at timestamptz)
language plpgsql set search_path = '' as $$
declare
  v_window timestamptz := to_timestamp(floor(extract(epoch from now()) / p_window_seconds) * p_window_seconds);
  v_hits integer;
begin
  insert into kiln.rate_limit_counters as c (key, window_start, hits) values (p_key, v_window, 1)
  on conflict (key, window_start) do update set hits = c.hits + 1
  returning c.hits into v_hits;
  return query select v_hits <= p_limit, greatest(p_limit - v_hits, 0), v_window + make_interval(secs => p_window_seconds);
end $$;
grant execute on function kiln.rate_limit_hit(text, integer, integer) to service_role;

create table public.audit_log (
  id bigint generated always as identity primary key,
  -- user | api_key | worker | system
  actor_kind text not null check (actor_kind in ('user', 'api_key', 'worker', 'system')),
  actor_id uuid,
  action text not null,
  target_type text,
  target_id text,
  ip inet,
  details jsonb not null default '{}',
  at timestamptz not null default now()
);
create index audit_log_by_actor on public.audit_log (actor_id, at desc);
create index audit_log_by_target on public.audit_log (target_type, target_id, at desc);
-- Read by administrators through the API only.
alter table public.audit_log enable row level security;
revoke all on public.audit_log from anon, authenticated;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
