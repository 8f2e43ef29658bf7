/** GET /v1/webhooks: the caller's endpoints, newest first, with why Kiln disabled any of them. */
import { z } from "@hono/zod-openapi";
import { WebhookEndpoint } from "../../../../shared/api/webhooks.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";
import { toWebhook, type WebhookRow, webhookColumns } from "./webhook_route_support.ts";

/** A cursor names the last endpoint of the previous page. */
const WebhookCursor = z.tuple([z.uuid()]);

export function registerWebhooksList(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "get",
      path: "/v1/webhooks",
      tags: ["Webhooks"],
      summary: "List webhook endpoints",
      description:
        "Secrets are never shown again. A disabled endpoint says why (`disabled_reason`); `failure_streak` and " +
        "`failing_since` show an endpoint on its way there.",
      request: { query: PageQuery },
      responses: {
        200: {
          description: "A page of endpoints.",
          content: { "application/json": { schema: pageSchema(WebhookEndpoint, "WebhookEndpointPage") } },
        },
      },
    },
  );
  app.openapi(route, async (c) => {
    const owner = c.get("principal").userId;
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : decodeCursor(cursor, WebhookCursor)[0];
    const rows = await deps.sql<WebhookRow[]>`
      select ${webhookColumns(deps.sql)}
        from public.webhook_endpoints w
       where w.owner_id = ${owner}
         ${
           after === undefined
             ? deps.sql``
             : deps.sql`and (w.created_at, w.id) <
                 (select p.created_at, p.id from public.webhook_endpoints p where p.id = ${after} and p.owner_id = ${owner})`
         }
       order by w.created_at desc, w.id desc
       limit ${limit + 1}`;
    return c.json(
      toPage(rows, limit, (row) => [row.id], toWebhook),
      200,
    );
  });
}
