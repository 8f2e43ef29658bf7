/**
 * What a webhook receiver gets: the body Kiln POSTs, signed per the Standard Webhooks spec (headers
 * webhook-id, webhook-timestamp, webhook-signature). `id` is the event's id, the same on every retry and replay
 * (and equal to webhook-id), so a receiver can drop duplicates.
 */
import { z } from "@hono/zod-openapi";
import { WEBHOOK_EVENTS } from "../job_states.ts";
import { MAX_WEBHOOK_BODY_BYTES } from "../webhooks/webhook_body.ts";
import { JobSummary } from "./job_schema.ts";

export const WebhookJobData = JobSummary.extend({
  links: z
    .object({
      job: z.url().openapi({ description: "GET it for the job as it is now." }),
      outputs: z.url().openapi({ description: "GET it for fresh signed URLs of the outputs." }),
    })
    .openapi({ description: "API links (they need your API key or access token)." }),
  truncated: z
    .array(z.string())
    .optional()
    .openapi({
      description: `Fields set to null because the body would have exceeded ${MAX_WEBHOOK_BODY_BYTES} bytes; read them through links.job.`,
      example: ["params"],
    }),
}).openapi("WebhookJobData");

export const WebhookPingData = z
  .object({ endpoint_id: z.uuid(), message: z.string() })
  .openapi("WebhookPingData", { description: "The data of a `ping`, sent by POST /v1/webhooks/:id/test." });

export const WebhookPayload = z
  .object({
    id: z.uuid().openapi({ description: "The event id: equal to the webhook-id header, stable across retries." }),
    type: z.enum([...WEBHOOK_EVENTS, "ping"]),
    created_at: z.string().openapi({ description: "When the event happened (ISO 8601)." }),
    data: z.union([WebhookJobData, WebhookPingData]),
  })
  .openapi("WebhookPayload");
export type WebhookPayload = z.infer<typeof WebhookPayload>;
