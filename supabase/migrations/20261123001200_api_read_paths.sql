-- Fewer round trips on the API's hot path: an API key and its per-principal rate-limit hit in one call.
-- kiln.api_key_hit is dropped in 20261123001300_rate_limit_batches. supabase/schema.sql holds the current schema.

/**
 * The API key with prefix `p_prefix` (with its owner's role) and, when `p_hash` is its secret's hash and it is
 * neither revoked nor expired, one hit on its rate-limit budget `key:<id>:<p_budget>` (its own limit, else
 * `p_default_limit`, per `p_window_seconds`). `allowed` is null when nothing was counted. The caller still
 * compares the hash itself (in constant time; `=` here compares SHA-256 digests, which a caller cannot steer)
 * and refuses with the precise reason; this only saves the separate round trip of the Postgres limiter
 * (measured, 16 clients on 2 cores: each round trip costs the Node process ~0.16 ms of socket writes on
 * loopback, the largest item of its profile).
 * Commits asynchronously, like kiln.rate_limit_hit through the limiter: the hit is the transaction's only write.
 */
create function kiln.api_key_hit(p_prefix text, p_hash text, p_budget text, p_default_limit integer,
                                 p_window_seconds integer)
returns table (id uuid, owner_id uuid, secret_hash text, scopes text[], rate_limit_per_minute integer,
               expires_at timestamptz, revoked_at timestamptz, last_used_at timestamptz, role text,
               allowed boolean, remaining integer, reset_at timestamptz, hit_limit integer)
language plpgsql set search_path = '' as $$
declare
  v_key record;
  v_limit integer;
  v_allowed boolean;
  v_remaining integer;
  v_reset_at timestamptz;
begin
  select k.id, k.owner_id, k.secret_hash, k.scopes::text[] as scopes, k.rate_limit_per_minute, k.expires_at,
         k.revoked_at, k.last_used_at, p.role::text as role
    into v_key
    from public.api_keys k join public.profiles p on p.id = k.owner_id
   where k.prefix = p_prefix;
  if not found then
    return;
  end if;
  if v_key.secret_hash = p_hash and v_key.revoked_at is null
     and (v_key.expires_at is null or v_key.expires_at > now()) then
    perform set_config('synchronous_commit', 'off', true);
    v_limit := coalesce(v_key.rate_limit_per_minute, p_default_limit);
    select h.allowed, h.remaining, h.reset_at into v_allowed, v_remaining, v_reset_at
      from kiln.rate_limit_hit('key:' || v_key.id || ':' || p_budget, v_limit, p_window_seconds) h;
  end if;
  return query select v_key.id, v_key.owner_id, v_key.secret_hash, v_key.scopes, v_key.rate_limit_per_minute,
    v_key.expires_at, v_key.revoked_at, v_key.last_used_at, v_key.role, v_allowed, v_remaining, v_reset_at,
    v_limit;
end $$;
grant execute on function kiln.api_key_hit(text, text, text, integer, integer) to service_role;

-- Nothing in kiln is callable by clients; the grants above name who may call what.
revoke execute on all functions in schema kiln from public, anon, authenticated;
