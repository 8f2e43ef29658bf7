/**
 * GET /v1/webhooks/{id}/deliveries: the endpoint's delivery log, newest first, a page at a time: each delivery's
 * status and latest outcome, with every attempt (response code, duration, response excerpt, error).
 */
import { z } from "@hono/zod-openapi";
import { DeliveryStatus, WebhookDelivery, WebhookIdParam } from "../../../../shared/api/webhooks.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";
import { noSuchWebhook } from "./webhook_route_support.ts";

/** A cursor names the last delivery of the previous page. */
const DeliveryCursor = z.tuple([z.uuid()]);

const DeliveriesQuery = PageQuery.extend({
  status: DeliveryStatus.optional().openapi({
    param: { name: "status", in: "query" },
    description: "Only deliveries in this status.",
  }),
});

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  job_id: string | null;
  status: WebhookDelivery["status"];
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_response_code: number | null;
  last_duration_ms: number | null;
  last_response_excerpt: string | null;
  last_error: string | null;
  delivered_at: Date | null;
  replay_of: string | null;
  created_at: Date;
  /** Built by jsonb_agg: times are already ISO text. */
  attempt_log: WebhookDelivery["attempt_log"];
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    job_id: row.job_id,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" ? iso(row.next_attempt_at) : null,
    last_attempt_at: iso(row.last_attempt_at),
    response_code: row.last_response_code,
    duration_ms: row.last_duration_ms,
    response_excerpt: row.last_response_excerpt,
    error: row.last_error,
    delivered_at: iso(row.delivered_at),
    replay_of: row.replay_of,
    created_at: row.created_at.toISOString(),
    attempt_log: row.attempt_log.map((a) => ({
      ...a,
      started_at: new Date(a.started_at).toISOString(),
      next_attempt_at: a.next_attempt_at === null ? null : new Date(a.next_attempt_at).toISOString(),
    })),
  };
}

export function registerWebhooksDeliveriesList(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "webhooks:manage" },
    {
      method: "get",
      path: "/v1/webhooks/{id}/deliveries",
      tags: ["Webhooks"],
      summary: "List an endpoint's deliveries",
      description:
        "Newest first. Each delivery has its status, the outcome of its latest attempt and `attempt_log`, every " +
        "attempt made. Deliveries are kept 30 days after they end.",
      request: { params: WebhookIdParam, query: DeliveriesQuery },
      responses: {
        200: {
          description: "A page of deliveries.",
          content: { "application/json": { schema: pageSchema(WebhookDelivery, "WebhookDeliveryPage") } },
        },
      },
      errors: ["not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const owner = c.get("principal").userId;
    const { id } = c.req.valid("param");
    const { limit, cursor, status } = c.req.valid("query");
    const after = cursor === undefined ? undefined : decodeCursor(cursor, DeliveryCursor)[0];
    const [endpoint] = await deps.sql`select 1 from public.webhook_endpoints where id = ${id} and owner_id = ${owner}`;
    if (!endpoint) noSuchWebhook();
    const rows = await deps.sql<DeliveryRow[]>`
      select d.id, d.event_id, d.event_type, d.job_id, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
             d.last_response_code, d.last_duration_ms, d.last_response_excerpt, d.last_error, d.delivered_at,
             d.replay_of, d.created_at,
             coalesce((select jsonb_agg(jsonb_build_object(
                        'attempt', a.attempt, 'started_at', a.started_at, 'duration_ms', a.duration_ms,
                        'response_code', a.response_code, 'response_excerpt', a.response_excerpt, 'error', a.error,
                        'succeeded', a.succeeded, 'next_attempt_at', a.next_attempt_at) order by a.attempt, a.id)
                         from public.webhook_attempts a where a.delivery_id = d.id), '[]'::jsonb) as attempt_log
        from public.webhook_deliveries d
       where d.endpoint_id = ${id}
         ${status === undefined ? deps.sql`` : deps.sql`and d.status = ${status}`}
         ${
           after === undefined
             ? deps.sql``
             : deps.sql`and (d.created_at, d.id) <
                 (select p.created_at, p.id from public.webhook_deliveries p where p.id = ${after} and p.endpoint_id = ${id})`
         }
       order by d.created_at desc, d.id desc
       limit ${limit + 1}`;
    return c.json(
      toPage(rows, limit, (row) => [row.id], toDelivery),
      200,
    );
  });
}
