-- Accounts and credits. A profile's balance always equals the sum of its ledger rows: the ledger is
-- append-only and the only way to change a balance is to insert a ledger row, which applies itself.

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  role public.profile_role not null default 'user',
  credits bigint not null default 0 check (credits >= 0),
  -- Null: the `max_active_jobs` setting applies.
  max_active_jobs integer check (max_active_jobs >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.profiles enable row level security;
revoke all on public.profiles from anon, authenticated;
grant select on public.profiles to authenticated;

/** Signed-in users see their own profile and nobody else's. */
create policy "Users can read their own profile" on public.profiles
  for select to authenticated using (id = (select auth.uid()));

create table public.credit_ledger (
  id bigint generated always as identity primary key,
  owner_id uuid not null references public.profiles (id) on delete cascade,
  delta bigint not null check (delta <> 0),
  -- Filled in by the insert trigger from the profile's new balance.
  balance_after bigint not null default 0,
  reason text not null check (reason in ('signup_grant', 'admin_grant', 'job_charge', 'job_refund')),
  -- No foreign key: a deleted job must not rewrite the ledger.
  job_id uuid,
  actor_id uuid,
  note text check (char_length(note) <= 500),
  created_at timestamptz not null default now()
);
create index credit_ledger_by_owner on public.credit_ledger (owner_id, id desc);
create index credit_ledger_by_job on public.credit_ledger (job_id) where job_id is not null;
alter table public.credit_ledger enable row level security;
revoke all on public.credit_ledger from anon, authenticated;
grant select on public.credit_ledger to authenticated;

/** Signed-in users see their own ledger. */
create policy "Users can read their own ledger" on public.credit_ledger
  for select to authenticated using (owner_id = (select auth.uid()));

/**
 * Applies a ledger row to its profile's balance. The update locks the profile row, so concurrent charges
 * for one owner serialize here and the balance can never go below zero.
 */
create function kiln.tg_credit_ledger__apply() returns trigger
language plpgsql set search_path = '' as $$
begin
  update public.profiles p
     set credits = p.credits + new.delta, updated_at = now()
   where p.id = new.owner_id and p.credits + new.delta >= 0
  returning p.credits into new.balance_after;
  if not found then
    if exists (select 1 from public.profiles p where p.id = new.owner_id) then
      raise exception 'insufficient credits for a change of %', new.delta using errcode = 'KL003';
    end if;
    raise exception 'no profile %', new.owner_id using errcode = 'KL010';
  end if;
  return new;
end $$;
create trigger _100_apply before insert on public.credit_ledger
  for each row execute function kiln.tg_credit_ledger__apply();

/** The ledger is append-only; rows go only when their profile is deleted (the cascade from auth.users). */
create function kiln.tg_credit_ledger__forbid_change() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from public.profiles p where p.id = old.owner_id) then
    return old;
  end if;
  raise exception 'credit_ledger is append-only' using errcode = 'KL011';
end $$;
create trigger _100_forbid_change before update or delete on public.credit_ledger
  for each row execute function kiln.tg_credit_ledger__forbid_change();

/** Posts one ledger row (charge, refund or grant) and returns the new balance. */
create function kiln.post_credits(
  p_owner_id uuid, p_delta bigint, p_reason text, p_job_id uuid default null,
  p_actor_id uuid default null, p_note text default null
) returns bigint
language plpgsql set search_path = '' as $$
declare
  v_balance bigint;
begin
  insert into public.credit_ledger (owner_id, delta, reason, job_id, actor_id, note)
  values (p_owner_id, p_delta, p_reason, p_job_id, p_actor_id, p_note)
  returning balance_after into v_balance;
  return v_balance;
end $$;
grant execute on function kiln.post_credits(uuid, bigint, text, uuid, uuid, text) to service_role;

/**
 * Every new auth user gets a profile and the signup grant. Security definer: on a hosted project the
 * insert into auth.users is made by the auth service's role, which cannot write to public.profiles.
 */
create function kiln.tg_auth_users__create_profile() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_grant bigint := (kiln.setting('signup_grant_credits'))::bigint;
begin
  insert into public.profiles (id, email) values (new.id, new.email);
  if v_grant > 0 then
    perform kiln.post_credits(new.id, v_grant, 'signup_grant');
  end if;
  return new;
end $$;
create trigger kiln_100_create_profile after insert on auth.users
  for each row execute function kiln.tg_auth_users__create_profile();

/** Whether a user is an administrator. */
create function kiln.is_admin(p_user_id uuid) returns boolean
language plpgsql stable set search_path = '' as $$
begin
  return coalesce((select p.role = 'admin' from public.profiles p where p.id = p_user_id), false);
end $$;
grant execute on function kiln.is_admin(uuid) to service_role;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
