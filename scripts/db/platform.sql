-- The parts of the Supabase platform that Kiln's migrations and the local stack rely on, for plain
-- PostgreSQL and PGlite. A hosted project or `supabase start` already has all of this: never apply it there.
-- Every statement is idempotent, so the migration runner applies it on each start.

-- Roles as Supabase creates them. service_role bypasses RLS, like the platform's.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end $$;

grant usage on schema public to anon, authenticated, service_role;

-- auth: the users table (the columns the local stack's GoTrue subset uses) and the helpers, exactly as shipped.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  id uuid primary key default gen_random_uuid(),
  aud text not null default 'authenticated',
  role text not null default 'authenticated',
  email text unique,
  encrypted_password text,
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb not null default '{}',
  raw_user_meta_data jsonb not null default '{}',
  is_anonymous boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create or replace function auth.uid() returns uuid set search_path to '' as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $$ language sql stable;
create or replace function auth.role() returns text set search_path to '' as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text $$ language sql stable;
create or replace function auth.jwt() returns jsonb set search_path to '' as $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), ''))::jsonb $$ language sql stable;

-- realtime: Broadcast from Database. send() inserts into realtime.messages like Supabase's (which also turns
-- errors into warnings: here the insert into a plain table cannot fail, and a subtransaction per message would
-- cost every job transition). Where the local stack relays broadcasts it switches on
-- `kiln.realtime_relay` for the database, and send() also NOTIFYs `realtime:broadcast`. Only then: a transaction
-- that NOTIFYs holds a database-wide lock through its commit, which would serialize every job transition.
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

-- Unlogged: a broadcast matters for seconds, so a crash may drop the table's rows, and no WAL is written for them.
create unlogged table if not exists realtime.messages (
  id uuid primary key default gen_random_uuid(),
  topic text not null,
  extension text not null default 'broadcast',
  event text,
  payload jsonb,
  private boolean not null default false,
  inserted_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table realtime.messages enable row level security;
grant select on realtime.messages to authenticated;

create or replace function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;

-- pg_notify payloads are capped at 8000 bytes: a larger message travels as its id and the relay reads the row.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language plpgsql as $$
declare
  v_id uuid;
  v_note text;
begin
  insert into realtime.messages (payload, event, topic, private, extension)
  values (payload, event, topic, private, 'broadcast')
  returning id into v_id;
  if current_setting('kiln.realtime_relay', true) = 'on' then
    v_note := jsonb_build_object('id', v_id, 'topic', topic, 'event', event, 'private', private, 'payload', payload)::text;
    if octet_length(v_note) > 7900 then
      v_note := jsonb_build_object('id', v_id)::text;
    end if;
    perform pg_notify('realtime:broadcast', v_note);
  end if;
end $$;

-- storage: the tables migrations touch (buckets) and the local stack keeps objects in.
create schema if not exists storage;
grant usage on schema storage to anon, authenticated, service_role;

create table if not exists storage.buckets (
  id text primary key,
  name text not null unique,
  owner uuid,
  public boolean not null default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text not null references storage.buckets (id),
  name text not null,
  owner uuid,
  metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_accessed_at timestamptz not null default now(),
  unique (bucket_id, name)
);
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
