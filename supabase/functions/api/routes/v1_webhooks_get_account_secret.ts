/**
 * GET /v1/webhooks/secret: the account's webhook secret, which signs the per-job webhooks (`webhook` on
 * POST /v1/jobs); made on first use (kiln.account_webhook_secret). Endpoints have secrets of their own.
 */
import { WebhookSecret } from "../../../../shared/api/webhooks.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { auditedChange, VERIFY_NOTE } from "./webhook_route_support.ts";

export function registerWebhooksGetAccountSecret(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "get",
      path: "/v1/webhooks/secret",
      tags: ["Webhooks"],
      summary: "Get the account webhook secret",
      description:
        "The secret that signs the webhooks of jobs created with a `webhook` URL (registered endpoints have their " +
        `own). Each read is audited. ${VERIFY_NOTE}`,
      responses: {
        200: { description: "The account's secret.", content: { "application/json": { schema: WebhookSecret } } },
      },
    },
  );
  app.openapi(route, async (c) => {
    const owner = c.get("principal").userId;
    const row = await auditedChange<{ secret: string; previous_secret_expires_at: Date | null }>(
      deps,
      c,
      { action: "webhook.account_secret_read", targetType: "account" },
      deps.sql`
        select kiln.account_webhook_secret(${owner}) as secret, ${owner}::uuid as id,
               (select s.previous_secret_expires_at from kiln.account_webhook_secrets s
                 where s.owner_id = ${owner} and s.previous_secret_expires_at > now()) as previous_secret_expires_at`,
    );
    return c.json(
      { secret: row?.secret ?? "", previous_secret_expires_at: row?.previous_secret_expires_at?.toISOString() ?? null },
      200,
    );
  });
}
