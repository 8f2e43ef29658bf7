/** Who is calling: one type for the rest of the API, whether they came with a user JWT or an API key. */
import type { Scope } from "../../../../shared/api/scopes.ts";
import type { AuditActor } from "../../_shared/http/audit.ts";

export { SCOPES, Scope } from "../../../../shared/api/scopes.ts";

export interface Principal {
  kind: "user" | "api_key";
  userId: string;
  role: "user" | "admin";
  /** What the caller may do: every scope for a signed-in user, the key's scopes for an API key. */
  scopes: readonly Scope[];
  apiKeyId?: string;
  /** The key's own requests-per-minute: it can only lower the account's budget. */
  rateLimitPerMinute?: number;
  /** The account's own budgets (set by an admin), over the deployment's defaults. */
  accountRateLimits: AccountRateLimits;
}

/** Requests per minute an account may spend in each budget; undefined: the deployment's default. */
export interface AccountRateLimits {
  read?: number;
  create?: number;
}

/** The account budgets as stored in profiles (null: the default). */
export function accountRateLimitsOf(row: {
  rate_limit_read_per_minute: number | null;
  rate_limit_create_per_minute: number | null;
}): AccountRateLimits {
  return {
    read: row.rate_limit_read_per_minute ?? undefined,
    create: row.rate_limit_create_per_minute ?? undefined,
  };
}

/** The audit log's actor for `principal`, calling from `ip`. */
export function auditActor(principal: Principal, ip: string | null): AuditActor {
  return { kind: principal.kind, id: principal.apiKeyId ?? principal.userId, userId: principal.userId, ip };
}
