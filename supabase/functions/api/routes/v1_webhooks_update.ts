/**
 * PATCH /v1/webhooks/{id}: change an endpoint's URL (checked again), events or description, or enable or disable
 * it. `enabled: true` on an endpoint Kiln disabled clears its reason and failure record
 * (kiln.enable_webhook_endpoint); replay what it missed with POST /v1/webhooks/{id}/replay.
 */
import type postgres from "postgres";
import { WebhookEndpoint, WebhookIdParam, WebhookUpdateBody } from "../../../../shared/api/webhooks.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import {
  assertWebhookTarget,
  noSuchWebhook,
  toWebhook,
  type WebhookRow,
  webhookColumns,
} from "./webhook_route_support.ts";

export function registerWebhooksUpdate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "patch",
      path: "/v1/webhooks/{id}",
      tags: ["Webhooks"],
      summary: "Change a webhook endpoint",
      description:
        "A new URL passes the same checks as at registration. `enabled: true` enables an endpoint again, clearing " +
        "`disabled_reason` and its failure record; `enabled: false` stops it, and its pending deliveries die.",
      request: {
        params: WebhookIdParam,
        body: { required: true, content: { "application/json": { schema: WebhookUpdateBody } } },
      },
      responses: {
        200: {
          description: "The endpoint as it is now.",
          content: { "application/json": { schema: WebhookEndpoint } },
        },
      },
      errors: ["invalid_json", "not_found", "unsupported_media_type", "webhook_url_refused"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const owner = principal.userId;
    const { id } = c.req.valid("param");
    const { enabled, ...fields } = c.req.valid("json");
    if (fields.url !== undefined) await assertWebhookTarget(deps, fields.url);
    const row = await deps.sql.begin(async (tx) => {
      const sql = tx as unknown as postgres.Sql;
      const [found] = await sql<{ id: string; enabled: boolean }[]>`
        update public.webhook_endpoints w set ${sql({ ...fields, updated_at: new Date() })}
         where w.id = ${id} and w.owner_id = ${owner}
        returning w.id, w.enabled`;
      if (!found) return undefined;
      if (enabled === true && !found.enabled) await sql`select kiln.enable_webhook_endpoint(${id}, ${owner})`;
      if (enabled === false && found.enabled) {
        await sql`select kiln.disable_webhook_endpoint(${id}, 'disabled by its owner')`;
      }
      const audit = auditInsert(sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
        action: "webhook.updated",
        targetType: "webhook_endpoint",
        source: "w",
        details: { changes: { ...fields, ...(enabled === undefined ? {} : { enabled }) } },
      });
      const [updated] = await sql<WebhookRow[]>`
        with w as (select * from public.webhook_endpoints e where e.id = ${id}), a as (${audit})
        select ${webhookColumns(sql)} from w`;
      return updated;
    });
    if (!row) noSuchWebhook();
    return c.json(toWebhook(row), 200);
  });
}
