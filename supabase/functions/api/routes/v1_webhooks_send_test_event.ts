/** POST /v1/webhooks/{id}/test: send the endpoint a `ping` event now (kiln.enqueue_webhook_ping). */
import { createRoute } from "@hono/zod-openapi";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import { DeliveryQueued, WebhookIdParam } from "../../../../shared/api/webhooks.ts";
import { kickDispatch } from "../../_shared/dispatch_kick.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { auditedChange, WEBHOOK_ROUTE_ERRORS, webhookRouteBase } from "./webhook_route_support.ts";

export function registerWebhooksSendTestEvent(app: ApiApp, deps: ApiDeps): void {
  const route = createRoute({
    method: "post",
    path: "/v1/webhooks/{id}/test",
    ...webhookRouteBase(deps),
    summary: "Send a test event",
    description:
      "Queues a `ping` event (`data`: {endpoint_id, message}), signed like any other, and answers its delivery id: " +
      "follow it in GET /v1/webhooks/{id}/deliveries.",
    request: { params: WebhookIdParam },
    responses: {
      202: { description: "The ping is queued.", content: { "application/json": { schema: DeliveryQueued } } },
      ...errorResponses(...WEBHOOK_ROUTE_ERRORS, "not_found"),
    },
  });
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
