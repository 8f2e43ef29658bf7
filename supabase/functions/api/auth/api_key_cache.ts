/**
 * API-key rows kept in the isolate for a few seconds, found by the key's public prefix, so a request with a
 * known key makes no round trip to authenticate. The secret is still compared (in constant time) on every
 * request, and expiry checked against the clock. The cost, by design: a key revoked or changed in another
 * isolate keeps working there for up to `ttlMs`; the isolate that revokes or changes it forgets it at once.
 */
import type { KeyRow } from "./api_keys.ts";

export interface ApiKeyCache {
  get(prefix: string): KeyRow | undefined;
  set(prefix: string, row: KeyRow): void;
  /** Forgets key `id` (revoked or changed here). */
  evict(id: string): void;
}

/** A cache of `maxEntries` rows at most, each kept `ttlMs` (0 keeps nothing). */
export function apiKeyCache(ttlMs: number, maxEntries = 10_000): ApiKeyCache {
  const rows = new Map<string, { row: KeyRow; until: number }>();
  return {
    get(prefix) {
      const entry = rows.get(prefix);
      if (!entry) return undefined;
      if (entry.until > Date.now()) return entry.row;
      rows.delete(prefix);
      return undefined;
    },
    set(prefix, row) {
      if (ttlMs <= 0) return;
      // The oldest entry goes first (a Map iterates in insertion order).
      if (rows.size >= maxEntries) rows.delete(rows.keys().next().value as string);
      rows.set(prefix, { row, until: Date.now() + ttlMs });
    },
    evict(id) {
      for (const [prefix, entry] of rows) if (entry.row.id === id) rows.delete(prefix);
    },
  };
}
