/** GET /v1/webhooks/{id}: one of the caller's endpoints (never its secret). */
import { WebhookEndpoint, WebhookIdParam } from "../../../../shared/api/webhooks.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { noSuchWebhook, toWebhook, type WebhookRow, webhookColumns } from "./webhook_route_support.ts";

export function registerWebhooksGet(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "get",
      path: "/v1/webhooks/{id}",
      tags: ["Webhooks"],
      summary: "Get a webhook endpoint",
      request: { params: WebhookIdParam },
      responses: {
        200: { description: "The endpoint.", content: { "application/json": { schema: WebhookEndpoint } } },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const [row] = await deps.sql<WebhookRow[]>`
      select ${webhookColumns(deps.sql)} from public.webhook_endpoints w
       where w.id = ${id} and w.owner_id = ${c.get("principal").userId}`;
    if (!row) noSuchWebhook();
    return c.json(toWebhook(row), 200);
  });
}
