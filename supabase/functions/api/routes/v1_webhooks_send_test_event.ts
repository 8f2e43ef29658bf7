/** POST /v1/webhooks/{id}/test: send the endpoint a `ping` event now (kiln.enqueue_webhook_ping). */
import { DeliveryQueued, WebhookIdParam } from "../../../../shared/api/webhooks.ts";
import { kickDispatch } from "../../_shared/dispatch_kick.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { auditedChange } from "./webhook_route_support.ts";

export function registerWebhooksSendTestEvent(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "post",
      path: "/v1/webhooks/{id}/test",
      tags: ["Webhooks"],
      summary: "Send a test event",
      description:
        "Queues a `ping` event (`data`: {endpoint_id, message}), signed like any other, and answers its delivery id: " +
        "follow it in GET /v1/webhooks/{id}/deliveries.",
      request: { params: WebhookIdParam },
      responses: {
        202: { description: "The ping is queued.", content: { "application/json": { schema: DeliveryQueued } } },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const row = await auditedChange<{ delivery_id: string }>(
      deps,
      c,
      { action: "webhook.tested", targetType: "webhook_endpoint" },
      deps.sql`select kiln.enqueue_webhook_ping(${id}, ${c.get("principal").userId}) as delivery_id, ${id}::uuid as id`,
    );
    kickDispatch(deps.config);
    return c.json({ delivery_id: row?.delivery_id ?? "" }, 202);
  });
}
