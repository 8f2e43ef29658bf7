/**
 * POST /v1/webhooks/{id}/replay: after an outage is fixed, send again every dead delivery of the endpoint
 * created since a time, in their original order (kiln.replay_failed_deliveries).
 */
import { WebhookIdParam, WebhookReplayBody, WebhookReplayed } from "../../../../shared/api/webhooks.ts";
import { kickDispatch } from "../../_shared/dispatch_kick.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { auditedChange } from "./webhook_route_support.ts";

export function registerWebhooksReplay(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "post",
      path: "/v1/webhooks/{id}/replay",
      tags: ["Webhooks"],
      summary: "Replay failed deliveries",
      description:
        "Queues again every dead delivery of the endpoint created at or after `since`, in order, skipping events " +
        "already pending again; answers how many. Refused (409) while the endpoint is disabled: enable it first.",
      request: {
        params: WebhookIdParam,
        body: { required: true, content: { "application/json": { schema: WebhookReplayBody } } },
      },
      responses: {
        202: { description: "The replays are queued.", content: { "application/json": { schema: WebhookReplayed } } },
      },
      errors: ["invalid_json", "not_found", "invalid_state", "unsupported_media_type"],
    },
  );
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const { since } = c.req.valid("json");
    const row = await auditedChange<{ replayed: number }>(
      deps,
      c,
      { action: "webhook.deliveries_replayed", targetType: "webhook_endpoint", details: { since } },
      deps.sql`
        select kiln.replay_failed_deliveries(${id}, ${since}::timestamptz, ${c.get("principal").userId}) as replayed,
               ${id}::uuid as id`,
    );
    const replayed = row?.replayed ?? 0;
    if (replayed > 0) kickDispatch(deps.config);
    return c.json({ replayed }, 202);
  });
}
