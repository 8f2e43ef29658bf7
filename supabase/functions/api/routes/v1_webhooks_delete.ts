/** DELETE /v1/webhooks/{id}: remove an endpoint, with its deliveries and their log. */
import { WebhookIdParam } from "../../../../shared/api/webhooks.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { noSuchWebhook } from "./webhook_route_support.ts";

export function registerWebhooksDelete(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "delete",
      path: "/v1/webhooks/{id}",
      tags: ["Webhooks"],
      summary: "Delete a webhook endpoint",
      description: "Nothing more is sent to it; its deliveries and their attempts are deleted with it.",
      request: { params: WebhookIdParam },
      responses: {
        204: { description: "The endpoint is gone." },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const { id } = c.req.valid("param");
    const audit = auditInsert(deps.sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "webhook.deleted",
      targetType: "webhook_endpoint",
      source: "w",
    });
    const [deleted] = await deps.sql`
      with w as (
        delete from public.webhook_endpoints where id = ${id} and owner_id = ${principal.userId}
        returning id, url
      ), a as (${audit})
      select id from w`;
    if (!deleted) noSuchWebhook();
    return c.body(null, 204);
  });
}
