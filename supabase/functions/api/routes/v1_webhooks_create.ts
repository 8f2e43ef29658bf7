/** POST /v1/webhooks: register an endpoint. Its `whsec_…` secret is in this response only. */
import { WebhookCreateBody, WebhookCreated } from "../../../../shared/api/webhooks.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import {
  assertWebhookTarget,
  toWebhook,
  VERIFY_NOTE,
  type WebhookRow,
  webhookColumns,
} from "./webhook_route_support.ts";

export function registerWebhooksCreate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "post",
      path: "/v1/webhooks",
      tags: ["Webhooks"],
      summary: "Register a webhook endpoint",
      description:
        "The URL must be https and resolve to a public address (checked now and before every delivery). " +
        `The secret is shown in this response only. ${VERIFY_NOTE}`,
      request: { body: { required: true, content: { "application/json": { schema: WebhookCreateBody } } } },
      responses: {
        201: {
          description: "The endpoint, with its signing secret shown this once.",
          content: { "application/json": { schema: WebhookCreated } },
        },
      },
      errors: ["invalid_json", "unsupported_media_type", "webhook_url_refused"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    await assertWebhookTarget(deps, body.url);
    const events = body.events ?? ["*"];
    const audit = auditInsert(deps.sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "webhook.created",
      targetType: "webhook_endpoint",
      source: "w",
      details: { url: body.url, events, enabled: body.enabled ?? true },
    });
    const [row] = await deps.sql<(WebhookRow & { secret: string })[]>`
      with w as (
        insert into public.webhook_endpoints (owner_id, url, description, events, enabled, secret)
        values (${principal.userId}, ${body.url}, ${body.description ?? null}, ${events}, ${body.enabled ?? true},
                kiln.new_webhook_secret())
        returning *
      ), a as (${audit})
      select ${webhookColumns(deps.sql)}, w.secret from w`;
    return c.json({ secret: row.secret, webhook: toWebhook(row) }, 201);
  });
}
