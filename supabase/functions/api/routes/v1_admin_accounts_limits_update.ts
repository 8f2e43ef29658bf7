/**
 * PATCH /v1/admin/accounts/{id}/limits: an account's own rate budgets (read, create), job caps and fair-share
 * weight, over the deployment's defaults; audited. Keys whose own limit is above the new budgets are held to them (their records
 * say `rate_limit_clamped`); the answer counts them. Other isolates see the change within
 * KILN_API_KEY_CACHE_SECONDS.
 */
import { AccountIdParam, AccountLimits, AccountLimitsBody } from "../../../../shared/api/admin_accounts.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import { BODY_ERRORS } from "../admin/admin_rows.ts";
import { accountRateLimitsOf, auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { accountBudgets } from "../rate_limit/rate_limit.ts";

interface LimitsRow {
  id: string;
  rate_limit_read_per_minute: number | null;
  rate_limit_create_per_minute: number | null;
  max_active_jobs: number | null;
  max_running_jobs: number | null;
  queue_weight: number;
}

export function registerAdminAccountsLimitsUpdate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "patch",
      path: "/v1/admin/accounts/{id}/limits",
      tags: ["Admin"],
      summary: "Set an account's limits",
      description:
        "An account's rate budgets are shared by its sessions and all its keys; a key's own limit can only lower them.",
      request: {
        params: AccountIdParam,
        body: { required: true, content: { "application/json": { schema: AccountLimitsBody } } },
      },
      responses: {
        200: { description: "The account's limits now.", content: { "application/json": { schema: AccountLimits } } },
      },
      errors: [...BODY_ERRORS, "not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const { id } = c.req.valid("param");
    const changes = c.req.valid("json");
    const audit = auditInsert(deps.sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "account.limits_updated",
      targetType: "profile",
      source: "p",
      details: { changes },
    });
    const [row] = await deps.sql<LimitsRow[]>`
      with p as (
        update public.profiles set ${deps.sql(changes)}, updated_at = now() where id = ${id}
        returning id, rate_limit_read_per_minute, rate_limit_create_per_minute, max_active_jobs, max_running_jobs,
                  queue_weight
      ), a as (${audit})
      select * from p`;
    if (!row) fail("not_found", "No account has this id.");
    const budgets = accountBudgets(deps.auth.rateLimits, accountRateLimitsOf(row));
    const keys = await deps.sql<{ id: string; rate_limit_per_minute: number | null }[]>`
      select id, rate_limit_per_minute from public.api_keys where owner_id = ${id} and revoked_at is null`;
    // This isolate forgets the account's keys now, so their next request carries the new budgets.
    for (const key of keys) deps.auth.keyCache.evict(key.id);
    const most = Math.max(budgets.read, budgets.create);
    return c.json(
      {
        user_id: row.id,
        rate_limit_read_per_minute: row.rate_limit_read_per_minute,
        rate_limit_create_per_minute: row.rate_limit_create_per_minute,
        max_active_jobs: row.max_active_jobs,
        max_running_jobs: row.max_running_jobs,
        queue_weight: row.queue_weight,
        effective_rate_limit_per_minute: budgets,
        keys_clamped: keys.filter((key) => (key.rate_limit_per_minute ?? 0) > most).length,
      },
      200,
    );
  });
}
