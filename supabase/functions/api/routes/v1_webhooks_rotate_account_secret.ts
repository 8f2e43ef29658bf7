/**
 * POST /v1/webhooks/secret/rotate: a new account webhook secret (kiln.rotate_account_webhook_secret); per-job
 * webhooks carry a second signature made with the previous one for 24 h.
 */
import { WebhookSecret } from "../../../../shared/api/webhooks.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { auditedChange, VERIFY_NOTE } from "./webhook_route_support.ts";

export function registerWebhooksRotateAccountSecret(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "post",
      path: "/v1/webhooks/secret/rotate",
      tags: ["Webhooks"],
      summary: "Rotate the account webhook secret",
      description: `The previous secret keeps signing per-job webhooks for 24 h. ${VERIFY_NOTE}`,
      responses: {
        200: { description: "The new secret.", content: { "application/json": { schema: WebhookSecret } } },
      },
    },
  );
  app.openapi(route, async (c) => {
    const owner = c.get("principal").userId;
    const row = await auditedChange<{ secret: string; previous_secret_expires_at: Date }>(
      deps,
      c,
      { action: "webhook.account_secret_rotated", targetType: "account" },
      // The function gives the previous secret now() + 24 h: the same now() as this statement's.
      deps.sql`
        select kiln.rotate_account_webhook_secret(${owner}) as secret, ${owner}::uuid as id,
               now() + interval '24 hours' as previous_secret_expires_at`,
    );
    return c.json(
      { secret: row?.secret ?? "", previous_secret_expires_at: row?.previous_secret_expires_at.toISOString() ?? null },
      200,
    );
  });
}
