-- The parts of the Supabase platform that Kiln's migrations and the local stack rely on, for plain
-- PostgreSQL and PGlite. A hosted project or `supabase start` already has all of this: never apply it there.
-- Every statement is idempotent, so the migration runner applies it on each start.

-- Roles as hosted projects have them: the three API roles inherit (measured on the hosted schema), and
-- service_role bypasses RLS. A database made by an older shim (noinherit) is brought in line.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin bypassrls;
  end if;
  -- Only where needed: roles are cluster-wide, and databases migrating side by side (the tests') would otherwise
  -- update the same pg_authid rows at once ("tuple concurrently updated").
  if exists (select 1 from pg_roles where rolname in ('anon', 'authenticated', 'service_role') and not rolinherit) then
    alter role anon inherit;
    alter role authenticated inherit;
    alter role service_role inherit;
  end if;
end $$;

grant usage on schema public to anon, authenticated, service_role;

-- auth: the users table, the local GoTrue subset's sessions and refresh tokens, and the helpers, exactly as shipped.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- auth.users with GoTrue's columns, so users' own migrations and seeds written for Supabase apply here too. No
-- default id, as hosted: GoTrue supplies it, so nothing here may rely on one. Email is unique among non-SSO users
-- (users_email_partial_key), as hosted. A database made by an older shim gets the missing columns added.
create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
do $$
begin
  if exists (select 1 from pg_constraint where conname = 'users_email_key' and conrelid = 'auth.users'::regclass) then
    alter table auth.users drop constraint users_email_key;
  end if;
end $$;
alter table auth.users
  add column if not exists instance_id uuid,
  add column if not exists invited_at timestamptz,
  add column if not exists confirmation_token varchar(255),
  add column if not exists confirmation_sent_at timestamptz,
  add column if not exists recovery_token varchar(255),
  add column if not exists recovery_sent_at timestamptz,
  add column if not exists email_change_token_new varchar(255),
  add column if not exists email_change varchar(255),
  add column if not exists email_change_sent_at timestamptz,
  add column if not exists is_super_admin boolean,
  add column if not exists phone text default null,
  add column if not exists phone_confirmed_at timestamptz,
  add column if not exists phone_change text default '',
  add column if not exists phone_change_token varchar(255) default '',
  add column if not exists phone_change_sent_at timestamptz,
  add column if not exists email_change_token_current varchar(255) default '',
  add column if not exists email_change_confirm_status smallint default 0,
  add column if not exists banned_until timestamptz,
  add column if not exists reauthentication_token varchar(255) default '',
  add column if not exists reauthentication_sent_at timestamptz,
  add column if not exists is_sso_user boolean not null default false,
  add column if not exists deleted_at timestamptz;
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);

-- Sessions and refresh tokens as GoTrue keeps them. Logging out deletes sessions, and a session's refresh
-- tokens go with it; rotation marks a token revoked and links its successor through `parent`.
create table if not exists auth.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);

create table if not exists auth.refresh_tokens (
  id bigint generated by default as identity primary key,
  token text not null unique,
  user_id uuid not null,
  session_id uuid not null references auth.sessions (id) on delete cascade,
  parent text,
  revoked boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);

-- How each session signed in (password, otp), as GoTrue records it: every access token of the session carries
-- it as `amr`, refreshed ones too.
create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid primary key,
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
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

-- realtime: Broadcast from Database, as hosted Realtime ships it. realtime.messages is partitioned by day of
-- inserted_at (Realtime creates the partitions; here scripts/db/realtime_partitions.ts does, at every migrate, for
-- every test database and hourly in the local stack), WAL-logged, keyed (id, inserted_at), and readable and
-- writable by the API roles, with RLS deciding. A database made by an older shim keeps its plain table: `npm start
-- -- --reset` gives the hosted layout.
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  binary_payload bytea,
  primary key (id, inserted_at)
) partition by range (inserted_at);
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;

-- send() never raises, as hosted: whatever fails (no partition for today, say) becomes a WARNING and the
-- caller's transaction goes on without the message. It gives the payload the message's id when it has none, and
-- sets realtime.topic for the rest of the transaction.
-- Local addition: where the local stack relays broadcasts it switches on `kiln.realtime_relay` for the database,
-- and send() also NOTIFYs `realtime:broadcast` (hosted Realtime reads the table's WAL instead). Only then: a
-- transaction that NOTIFYs holds a database-wide lock through its commit, which would serialize every job
-- transition. pg_notify payloads are capped at 8000 bytes: a larger message travels as its id and the relay reads
-- the row.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language plpgsql as $$
declare
  v_id uuid := gen_random_uuid();
  v_payload jsonb := case when payload ? 'id' then payload else jsonb_set(payload, '{id}', to_jsonb(v_id)) end;
  v_note text;
begin
  begin
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (v_id, v_payload, event, topic, private, 'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
    return;
  end;
  if current_setting('kiln.realtime_relay', true) = 'on' then
    v_note := jsonb_build_object('id', v_id, 'topic', topic, 'event', event, 'private', private,
                                 'payload', v_payload)::text;
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
  name text not null,
  owner uuid,
  owner_id text,
  public boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  metadata jsonb,
  user_metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now()
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
-- A database made by an older shim gets the hosted columns.
alter table storage.buckets add column if not exists owner_id text;
alter table storage.buckets alter column public drop not null;
alter table storage.objects
  add column if not exists owner_id text,
  add column if not exists user_metadata jsonb,
  add column if not exists path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  add column if not exists version text;

-- The path helpers storage policies are written with, as hosted: folders, file name and extension of an object name.
create or replace function storage.foldername(name text) returns text[] language sql immutable as $$
  select (string_to_array(name, '/'))[1:greatest(cardinality(string_to_array(name, '/')) - 1, 0)];
$$;
create or replace function storage.filename(name text) returns text language sql immutable as $$
  select (string_to_array(name, '/'))[cardinality(string_to_array(name, '/'))];
$$;
create or replace function storage.extension(name text) returns text language sql immutable as $$
  select case when storage.filename(name) like '%.%' then reverse(split_part(reverse(storage.filename(name)), '.', 1))
              else '' end;
$$;

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

-- As hosted: SQL may not delete from the storage tables (the files would be orphaned); the Storage service
-- deletes with storage.allow_delete_query set for its transaction (scripts/local/storage/object_store.ts does).
create or replace function storage.protect_delete() returns trigger language plpgsql as $$
begin
  if coalesce(current_setting('storage.allow_delete_query', true), '') <> 'true' then
    raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
      using errcode = '42501', hint = 'Deleting the rows would leave their files behind.';
  end if;
  return null;
end $$;
drop trigger if exists protect_buckets_delete on storage.buckets;
create trigger protect_buckets_delete before delete on storage.buckets
  for each statement execute function storage.protect_delete();
drop trigger if exists protect_objects_delete on storage.objects;
create trigger protect_objects_delete before delete on storage.objects
  for each statement execute function storage.protect_delete();

-- The role the Edge Functions connect as, standing in for hosted `postgres`: not a superuser, bypasses RLS, owns
-- what the migrations create (on a PostgreSQL server the migration runner applies them as this role), is a member
-- of the API roles, and has on the platform's tables what hosted `postgres` has. Hosted `postgres` may create
-- policies on realtime.messages through supautils' policy_grants; here that comes from membership in the table's
-- owner role. PGlite is one shared session as its superuser: there the role exists but nothing connects as it.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'kiln_owner') then
    create role kiln_owner login nosuperuser bypassrls inherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin;
  end if;
  execute format('grant create on database %I to kiln_owner', current_database());
end $$;
grant usage, create on schema public to kiln_owner;
grant usage on schema auth, realtime, storage to kiln_owner;
grant all on all tables in schema auth, realtime, storage to kiln_owner;
grant all on all sequences in schema auth, realtime, storage to kiln_owner;
alter table realtime.messages owner to supabase_realtime_admin;
-- Memberships are cluster-wide too: granted once, not by every database that migrates.
do $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated', 'service_role', 'supabase_realtime_admin'] loop
    if not exists (select 1 from pg_auth_members m
                    where m.roleid = v_role::regrole and m.member = 'kiln_owner'::regrole) then
      execute format('grant %I to kiln_owner', v_role);
    end if;
  end loop;
end $$;
