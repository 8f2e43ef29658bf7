-- Webhook endpoints and the outbox. Deliveries are rows written in the same transaction as the job change
-- they report, so a crash can delay a webhook but never lose it; the dispatcher sends and retries them.

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references public.profiles (id) on delete cascade,
  url text not null check (char_length(url) <= 2048 and url ~ '^https?://'),
  description text check (char_length(description) <= 500),
  -- `whsec_…` signing secrets. They must be readable to sign, so they are kept out of every client grant.
  secret text not null,
  -- During a rotation both signatures are sent until previous_secret_expires_at.
  previous_secret text,
  previous_secret_expires_at timestamptz,
  -- job.queued, job.started, job.progress, job.succeeded, job.failed, job.canceled, or '*'.
  events text[] not null default array['*'] check (cardinality(events) > 0),
  enabled boolean not null default true,
  disabled_reason text,
  -- Consecutive failed deliveries, and when the current run of failures began.
  failure_streak integer not null default 0,
  failing_since timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_by_owner on public.webhook_endpoints (owner_id) where enabled;
alter table public.webhook_endpoints enable row level security;
revoke all on public.webhook_endpoints from anon, authenticated;
grant select (id, owner_id, url, description, events, enabled, disabled_reason, failure_streak, failing_since,
  created_at, updated_at) on public.webhook_endpoints to authenticated;

/** Signed-in users see their own endpoints (never the secrets). */
create policy "Users can read their own webhook endpoints" on public.webhook_endpoints
  for select to authenticated using (owner_id = (select auth.uid()));

create type public.delivery_status as enum ('pending', 'succeeded', 'dead');

create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references public.profiles (id) on delete cascade,
  -- Either a registered endpoint or a job's own webhook URL (signed with the account's secret).
  endpoint_id uuid references public.webhook_endpoints (id) on delete cascade,
  url text not null,
  job_id uuid references public.jobs (id) on delete cascade,
  -- The event's id (job_events.id, or a fresh one for a progress tick): stable across retries.
  event_id uuid not null,
  event_type text not null,
  payload jsonb not null,
  status public.delivery_status not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_attempt_at timestamptz,
  last_response_code integer,
  last_response_excerpt text,
  last_duration_ms integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  constraint delivery_has_a_target check (endpoint_id is not null or job_id is not null)
);
create index webhook_deliveries_due on public.webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_by_endpoint on public.webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_by_job on public.webhook_deliveries (job_id, created_at);
alter table public.webhook_deliveries enable row level security;
revoke all on public.webhook_deliveries from anon, authenticated;
grant select on public.webhook_deliveries to authenticated;

/** Signed-in users see the deliveries made on their behalf. */
create policy "Users can read their own webhook deliveries" on public.webhook_deliveries
  for select to authenticated using (owner_id = (select auth.uid()));
