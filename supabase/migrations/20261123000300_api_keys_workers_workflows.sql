-- Credentials and what workers run: users' API keys, GPU workers' tokens, and stored ComfyUI workflows.
-- Secrets are never stored: only the SHA-256 of a key or token, found by its public prefix.

create table public.api_keys (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references public.profiles (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100),
  -- The human-visible start of the key (`kiln_sk_ab12cd34`), unique so a key is found without its secret.
  prefix text not null unique check (prefix ~ '^kiln_sk_[A-Za-z0-9]{8,}$'),
  -- Hex SHA-256 of the whole key; compared in constant time by the API.
  secret_hash text not null check (secret_hash ~ '^[0-9a-f]{64}$'),
  scopes text[] not null check (
    cardinality(scopes) > 0
    and scopes <@ array['jobs:read', 'jobs:write', 'webhooks:manage', 'keys:manage', 'account:read']
  ),
  -- Requests per minute for this key; null = the deployment's default.
  rate_limit_per_minute integer check (rate_limit_per_minute > 0),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz not null default now()
);
create index api_keys_by_owner on public.api_keys (owner_id, created_at desc);
alter table public.api_keys enable row level security;
revoke all on public.api_keys from anon, authenticated;
-- Every column but the hash.
grant select (id, owner_id, name, prefix, scopes, rate_limit_per_minute, expires_at, revoked_at, last_used_at, created_at)
  on public.api_keys to authenticated;

/** Signed-in users see their own keys (never the hash). */
create policy "Users can read their own API keys" on public.api_keys
  for select to authenticated using (owner_id = (select auth.uid()));

create table public.workers (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100),
  -- The public start of the worker token (`kiln_wk_ab12cd34`) and the hex SHA-256 of the whole token.
  token_prefix text not null unique check (token_prefix ~ '^kiln_wk_[A-Za-z0-9]{8,}$'),
  token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
  -- What the worker said it can run when it registered; claims only ever hand it these types.
  job_types text[] not null default '{}',
  -- Devices (from ComfyUI system_stats), models (from object_info), versions, slots.
  capabilities jsonb not null default '{}',
  comfyui_version text,
  -- A draining worker finishes what it holds and claims nothing more.
  draining boolean not null default false,
  created_by uuid references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  registered_at timestamptz,
  last_seen_at timestamptz,
  revoked_at timestamptz
);
create index workers_online on public.workers (last_seen_at) where revoked_at is null;
-- Workers are managed through the API by administrators; no policy, so no client reads them.
alter table public.workers enable row level security;
revoke all on public.workers from anon, authenticated;

create table public.workflows (
  id uuid primary key default gen_random_uuid(),
  -- Null: a global workflow every account may run.
  owner_id uuid references public.profiles (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100),
  description text check (char_length(description) <= 2000),
  job_type text not null default 'workflow',
  -- ComfyUI API-format graph: {<node id>: {class_type, inputs}}.
  graph jsonb not null check (jsonb_typeof(graph) = 'object'),
  -- Parameter bindings: {<param>: {node, input, schema?}} — which node input each job parameter sets.
  bindings jsonb not null default '{}' check (jsonb_typeof(bindings) = 'object'),
  -- Cost rule evaluated by the API: {base, per_megapixel?, per_step?}.
  cost_rule jsonb not null default '{"base": 10}' check (jsonb_typeof(cost_rule) = 'object'),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index workflows_name_per_owner on public.workflows (coalesce(owner_id, '00000000-0000-0000-0000-000000000000'), name);
alter table public.workflows enable row level security;
revoke all on public.workflows from anon, authenticated;
grant select on public.workflows to authenticated;

/** Signed-in users see the enabled global workflows and their own. */
create policy "Users can read global and their own workflows" on public.workflows
  for select to authenticated using ((owner_id is null and enabled) or owner_id = (select auth.uid()));
