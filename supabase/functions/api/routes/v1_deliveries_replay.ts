/**
 * POST /v1/deliveries/{id}/replay: send a finished delivery again (kiln.replay_delivery): a new delivery of the
 * same event (same webhook-id), due now, with a retry schedule of its own.
 */
import { DeliveryIdParam, DeliveryQueued } from "../../../../shared/api/webhooks.ts";
import { kickDispatch } from "../../_shared/dispatch_kick.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { auditedChange } from "./webhook_route_support.ts";

export function registerDeliveriesReplay(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "post",
      path: "/v1/deliveries/{id}/replay",
      tags: ["Webhooks"],
      summary: "Replay a delivery",
      description:
        "Sends the same event again (the same webhook-id, so a receiver that has it can drop it). Refused (409) " +
        "while the delivery is still pending, or while its endpoint is disabled: enable it first.",
      request: { params: DeliveryIdParam },
      responses: {
        202: { description: "The replay is queued.", content: { "application/json": { schema: DeliveryQueued } } },
      },
      errors: ["not_found", "invalid_state"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const row = await auditedChange<{ delivery_id: string }>(
      deps,
      c,
      { action: "webhook.delivery_replayed", targetType: "webhook_delivery" },
      deps.sql`select kiln.replay_delivery(${id}, ${c.get("principal").userId}) as delivery_id, ${id}::uuid as id`,
    );
    kickDispatch(deps.config);
    return c.json({ delivery_id: row?.delivery_id ?? "" }, 202);
  });
}
