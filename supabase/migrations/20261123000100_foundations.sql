-- Kiln foundations: the private schema, the shared enums and the settings every lifecycle function reads.
--
-- Tables a signed-in user may read live in `public`, guarded by RLS, so dashboards can use supabase-js directly.
-- Everything privileged (the lifecycle functions, settings, rate-limit counters) lives in `kiln`, which
-- PostgREST does not expose. The API and worker functions call `kiln.*` over a direct database connection.

create schema if not exists kiln;
revoke all on schema kiln from public;
grant usage on schema kiln to service_role;

-- Functions are executable by PUBLIC by default, and per-schema default privileges cannot take that away, so
-- every migration that creates kiln functions ends by revoking it; each function is granted right below itself.

-- One job-state enum; shared/job_states.ts mirrors it and a test checks that they agree.
create type public.job_status as enum ('queued', 'running', 'succeeded', 'failed', 'canceled');
-- Where a running job is: claimed by a worker, preparing (model load, input upload), executing, uploading.
create type public.job_phase as enum ('claimed', 'preparing', 'executing', 'uploading');
create type public.profile_role as enum ('user', 'admin');

-- Settings: one row per key, read by the lifecycle functions in the same transaction as the change they govern.
create table kiln.settings (
  key text primary key,
  value jsonb not null,
  description text not null,
  updated_at timestamptz not null default now(),
  updated_by uuid
);
alter table kiln.settings enable row level security;

insert into kiln.settings (key, value, description) values
  ('maintenance', '{"enabled": false, "reason": null}', 'While enabled, job creation is refused with the reason.'),
  ('signup_grant_credits', '3000', 'Credits granted to every new account.'),
  ('max_active_jobs', '20', 'Default cap on queued + running jobs per account (a profile may override it).'),
  ('max_attempts', '3', 'Default attempts per job before a retryable failure becomes final.'),
  ('lease_seconds', '30', 'Default lease a claim grants; heartbeats extend it.'),
  ('retry_backoff', '{"base_seconds": 2, "max_seconds": 300}',
   'Delay before attempt n+1: base * 2^(n-1), capped, with ±25% jitter.'),
  ('worker_online_seconds', '60', 'A worker counts as online while seen within this many seconds.');

/** The value of one setting; a missing key is a bug in the caller, so it raises. */
create function kiln.setting(p_key text) returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  v_value jsonb;
begin
  select s.value into v_value from kiln.settings s where s.key = p_key;
  if not found then
    raise exception 'unknown setting %', p_key using errcode = 'KL099';
  end if;
  return v_value;
end $$;
grant execute on function kiln.setting(text) to service_role;

-- Every claim draws a fresh fencing token: a report carrying an older one is from a worker that lost its lease.
create sequence kiln.fencing_tokens;
grant usage on sequence kiln.fencing_tokens to service_role;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
