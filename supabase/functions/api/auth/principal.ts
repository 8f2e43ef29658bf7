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
  /** The key's own requests-per-minute, overriding the deployment's default. */
  rateLimitPerMinute?: number;
}

/** The audit log's actor for `principal`, calling from `ip`. */
export function auditActor(principal: Principal, ip: string | null): AuditActor {
  return { kind: principal.kind, id: principal.apiKeyId ?? principal.userId, userId: principal.userId, ip };
}
