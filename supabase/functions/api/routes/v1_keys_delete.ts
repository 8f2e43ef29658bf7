/** DELETE /v1/keys/{id}: revoke a key. It stops working at once and stays listed, with `revoked_at`. */
import { ApiKeyIdParam } from "../../../../shared/api/keys.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

export function registerKeysDelete(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "keys:manage" },
    {
      method: "delete",
      path: "/v1/keys/{id}",
      tags: ["API keys"],
      summary: "Revoke an API key",
      description: "Revoking a key that is already revoked changes nothing and succeeds.",
      request: { params: ApiKeyIdParam },
      responses: {
        204: { description: "The key is revoked." },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const { id } = c.req.valid("param");
    const audit = auditInsert(deps.sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "key.revoked",
      targetType: "api_key",
      source: "k",
    });
    const [revoked] = await deps.sql`
      with k as (
        update public.api_keys set revoked_at = now()
         where id = ${id} and owner_id = ${principal.userId} and revoked_at is null
        returning id
      ), a as (${audit})
      select id from k`;
    deps.auth.keyCache.evict(id);
    if (!revoked) {
      const [existing] = await deps.sql`
        select 1 from public.api_keys where id = ${id} and owner_id = ${principal.userId}`;
      if (!existing) fail("not_found", "You have no API key with this id.");
    }
    return c.body(null, 204);
  });
}
