-- Webhook delivery, part 1 of 3: settings, delivery order and the attempt log, and signing secrets (per endpoint,
-- with rotation, and the account secret that signs per-job webhooks). Times that rules depend on come in as
-- `p_now` (default now()), so tests move the clock instead of waiting.


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
 * The endpoint `p_endpoint_id` as its owner `p_owner_id` may see it (null: an administrator, who sees every one);
 * another owner's endpoint is as absent as a missing one (KL005). The one owner check of the routes' functions.
 */
create function kiln.owned_webhook_endpoint(p_endpoint_id uuid, p_owner_id uuid) returns public.webhook_endpoints
language plpgsql stable set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
begin
  select * into v_endpoint from public.webhook_endpoints e
   where e.id = p_endpoint_id and (p_owner_id is null or e.owner_id = p_owner_id);
  if not found then
    raise exception 'no webhook endpoint %', p_endpoint_id using errcode = 'KL005';
  end if;
  return v_endpoint;
end $$;
grant execute on function kiln.owned_webhook_endpoint(uuid, uuid) to service_role;

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
  perform kiln.owned_webhook_endpoint(p_endpoint_id, p_owner_id);
  update public.webhook_endpoints e
     set previous_secret = e.secret, previous_secret_expires_at = now() + p_grace, secret = v_secret, updated_at = now()
   where e.id = p_endpoint_id;
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

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
