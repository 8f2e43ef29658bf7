/** What the key routes share: the columns of a key record, its JSON form, and the no-escalation rule. */
import type postgres from "postgres";
import type { ApiKey } from "../../../../shared/api/keys.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { Principal, Scope } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import { accountBudgets, keyLimit, type RateBudget } from "../rate_limit/rate_limit.ts";

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  rate_limit_per_minute: number | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

/** The columns of a key record (never the hash), from the relation aliased `k`. */
export function apiKeyColumns(sql: postgres.Sql): postgres.PendingQuery<postgres.Row[]> {
  return sql`k.id, k.name, k.prefix, k.scopes, k.rate_limit_per_minute, k.expires_at, k.revoked_at, k.last_used_at,
             k.created_at`;
}

/** A key row as the API shows it, with what its account's `budgets` let it spend. */
export function toApiKey(row: ApiKeyRow, budgets: Record<RateBudget, number>): ApiKey {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  const own = row.rate_limit_per_minute ?? undefined;
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    rate_limit_per_minute: row.rate_limit_per_minute,
    effective_rate_limit_per_minute: { read: keyLimit(own, budgets.read), create: keyLimit(own, budgets.create) },
    rate_limit_clamped: own !== undefined && own > Math.max(budgets.read, budgets.create),
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    last_used_at: iso(row.last_used_at),
    created_at: row.created_at.toISOString(),
  };
}

/** The caller's account budgets, which its keys' limits may only lower. */
export function budgetsOf(deps: ApiDeps, principal: Principal): Record<RateBudget, number> {
  return accountBudgets(deps.auth.rateLimits, principal.accountRateLimits);
}

/** Refuses (422) a key limit above what the account allows: a key can only lower its account's budget. */
export function assertWithinBudget(perMinute: number | null | undefined, budgets: Record<RateBudget, number>): void {
  const most = Math.max(budgets.read, budgets.create);
  if (perMinute === null || perMinute === undefined || perMinute <= most) return;
  fail(
    "validation_failed",
    `rate_limit_per_minute: may be at most ${most}, your account's budget; a key can only lower it.`,
    {
      rate_limit_per_minute: `may be at most ${most}, your account's budget (read ${budgets.read}, create ${budgets.create} per minute)`,
    },
  );
}

/** Refuses (403 missing_scope) to let an API key give a key a scope it does not hold itself. */
export function assertCanGrant(principal: Principal, scopes: readonly Scope[]): void {
  const missing = scopes.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length === 0) return;
  fail("missing_scope", `This API key lacks the scope "${missing[0]}", so it cannot give it to a key.`, {
    required_scope: missing[0],
    missing_scopes: missing,
  });
}
