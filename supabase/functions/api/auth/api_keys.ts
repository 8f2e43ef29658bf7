/**
 * API keys: `kiln_sk_…` credentials (see _shared/auth/credentials.ts). Stored as the SHA-256 of the whole key;
 * found by its prefix, then compared in constant time.
 */
import type postgres from "postgres";
import { sha256Hex } from "../../../../shared/sha256_hex.ts";
import { credentialPrefix, newCredential, timingSafeEqualHex } from "../../_shared/auth/credentials.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { ApiKeyCache } from "./api_key_cache.ts";
import { accountRateLimitsOf, type Principal, type Scope } from "./principal.ts";

export const API_KEY_PREFIX = "kiln_sk_";

/** A new key (shown once) and what is stored of it. */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const { secret, prefix, hash } = newCredential(API_KEY_PREFIX);
  return { key: secret, prefix, hash };
}

/** Whether a bearer token looks like an API key rather than a JWT. */
export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** An API key's row as authentication reads it, with its owner's role. */
export interface KeyRow {
  id: string;
  owner_id: string;
  secret_hash: string;
  scopes: Scope[];
  rate_limit_per_minute: number | null;
  rate_limit_read_per_minute: number | null;
  rate_limit_create_per_minute: number | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  role: "user" | "admin";
}

/** The key's prefix, by which its row is found. */
export function apiKeyPrefix(key: string): string {
  return credentialPrefix(API_KEY_PREFIX, key);
}

/**
 * The principal an API key stands for; refused with a precise code when unknown (or the secret is wrong,
 * compared in constant time), revoked or expired. The key's row comes from `cache` when it is there.
 * Touches last_used_at at most once a minute per key, not once per request.
 */
export async function authenticateApiKey(sql: postgres.Sql, cache: ApiKeyCache, key: string): Promise<Principal> {
  const hash = sha256Hex(key);
  const prefix = apiKeyPrefix(key);
  let row = cache.get(prefix);
  if (!row) {
    [row] = await sql<KeyRow[]>`
      select k.id, k.owner_id, k.secret_hash, k.scopes, k.rate_limit_per_minute, k.expires_at, k.revoked_at,
             k.last_used_at, p.role, p.rate_limit_read_per_minute, p.rate_limit_create_per_minute
        from public.api_keys k join public.profiles p on p.id = k.owner_id
       where k.prefix = ${prefix}`;
    if (row) cache.set(prefix, row);
  }
  if (!row || !timingSafeEqualHex(row.secret_hash, hash)) fail("invalid_api_key");
  if (row.revoked_at) fail("api_key_revoked");
  if (row.expires_at && row.expires_at.getTime() <= Date.now()) fail("api_key_expired");
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    row.last_used_at = new Date();
    await sql`update public.api_keys set last_used_at = now() where id = ${row.id}`;
  }
  return {
    kind: "api_key",
    userId: row.owner_id,
    role: row.role,
    scopes: row.scopes,
    apiKeyId: row.id,
    rateLimitPerMinute: row.rate_limit_per_minute ?? undefined,
    accountRateLimits: accountRateLimitsOf(row),
  };
}
