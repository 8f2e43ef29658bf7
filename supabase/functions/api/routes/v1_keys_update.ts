/** PATCH /v1/keys/{id}: rename a key, change its scopes or its rate limit. Revoked keys stay as they are. */
import { ApiKey, ApiKeyIdParam, ApiKeyUpdateBody } from "../../../../shared/api/keys.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import {
  type ApiKeyRow,
  apiKeyColumns,
  assertCanGrant,
  assertWithinBudget,
  budgetsOf,
  toApiKey,
} from "./api_key_rows.ts";

export function registerKeysUpdate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "keys:manage" },
    {
      method: "patch",
      path: "/v1/keys/{id}",
      tags: ["API keys"],
      summary: "Change an API key",
      description: "An API key may only give a key scopes it holds itself.",
      request: {
        params: ApiKeyIdParam,
        body: { required: true, content: { "application/json": { schema: ApiKeyUpdateBody } } },
      },
      responses: {
        200: { description: "The key as it is now.", content: { "application/json": { schema: ApiKey } } },
      },
      errors: ["invalid_json", "not_found", "conflict", "unsupported_media_type"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const { id } = c.req.valid("param");
    const changes = c.req.valid("json");
    if (changes.scopes) assertCanGrant(principal, changes.scopes);
    const budgets = budgetsOf(deps, principal);
    assertWithinBudget(changes.rate_limit_per_minute, budgets);
    const audit = auditInsert(deps.sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "key.updated",
      targetType: "api_key",
      source: "k",
      details: { changes },
    });
    const [row] = await deps.sql<ApiKeyRow[]>`
      with k as (
        update public.api_keys set ${deps.sql(changes)}
         where id = ${id} and owner_id = ${principal.userId} and revoked_at is null
        returning *
      ), a as (${audit})
      select ${apiKeyColumns(deps.sql)} from k`;
    deps.auth.keyCache.evict(id);
    if (row) return c.json(toApiKey(row, budgets), 200);
    const [existing] = await deps.sql`
      select 1 from public.api_keys where id = ${id} and owner_id = ${principal.userId}`;
    if (!existing) fail("not_found", "You have no API key with this id.");
    return fail("conflict", "This API key is revoked and can no longer change; create a new one.");
  });
}
