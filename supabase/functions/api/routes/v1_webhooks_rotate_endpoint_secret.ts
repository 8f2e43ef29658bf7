/**
 * POST /v1/webhooks/{id}/rotate-secret: a new signing secret, shown this once. For 24 h deliveries carry two
 * signatures, one with each secret (kiln.rotate_webhook_secret), so the receiver can switch without a gap.
 */
import { WebhookIdParam, WebhookSecret } from "../../../../shared/api/webhooks.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { auditedChange, VERIFY_NOTE } from "./webhook_route_support.ts";

export function registerWebhooksRotateEndpointSecret(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "post",
      path: "/v1/webhooks/{id}/rotate-secret",
      tags: ["Webhooks"],
      summary: "Rotate a webhook endpoint's secret",
      description: `The new secret is shown this once; the previous one keeps signing for 24 h. ${VERIFY_NOTE}`,
      request: { params: WebhookIdParam },
      responses: {
        200: {
          description: "The new secret, and when the previous one stops signing.",
          content: { "application/json": { schema: WebhookSecret } },
        },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const row = await auditedChange<{ secret: string; previous_secret_expires_at: Date }>(
      deps,
      c,
      { action: "webhook.secret_rotated", targetType: "webhook_endpoint" },
      // The function gives the previous secret now() + 24 h: the same now() as this statement's.
      deps.sql`
        select kiln.rotate_webhook_secret(${id}, ${c.get("principal").userId}) as secret, ${id}::uuid as id,
               now() + interval '24 hours' as previous_secret_expires_at`,
    );
    return c.json(
      { secret: row?.secret ?? "", previous_secret_expires_at: row?.previous_secret_expires_at.toISOString() ?? null },
      200,
    );
  });
}
