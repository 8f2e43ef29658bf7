/**
 * Webhook management over the wire: endpoints, the bodies that register and change one, their deliveries with
 * every attempt, replays, and the account secret that signs per-job webhooks.
 */
import { z } from "@hono/zod-openapi";
import { WEBHOOK_EVENTS } from "../job_states.ts";
import { idParam } from "./id_param.ts";
import { strictObject } from "./strict_object.ts";

const urlMessage = "url must be an https URL of at most 2048 characters.";
const descriptionMessage = "description must be text of at most 500 characters.";
const eventsMessage = `events must be a list of: ${WEBHOOK_EVENTS.join(", ")}, or ["*"] for all of them.`;

export const WebhookEventFilter = z.enum([...WEBHOOK_EVENTS, "*"]);

const WebhookUrl = z.string({ error: urlMessage }).min(1, urlMessage).max(2048, urlMessage).openapi({
  description:
    "Where deliveries are POSTed: https, on a public address (plain http only for hosts the deployment allows).",
  example: "https://example.com/kiln/webhooks",
});

const WebhookEvents = z
  .array(WebhookEventFilter, { error: eventsMessage })
  .min(1, 'events must name at least one event, or be ["*"].')
  .refine((events) => new Set(events).size === events.length, "Each event may appear once.")
  .openapi({ description: "Which events are sent; `*` is every job event.", example: ["job.succeeded", "job.failed"] });

const Description = z
  .string({ error: descriptionMessage })
  .max(500, descriptionMessage)
  .openapi({ description: "Yours, to recognize the endpoint by.", example: "order service" });

const SECRET_NOTE =
  "The `whsec_…` signing secret, shown this once: store it now. Verify each delivery with a Standard Webhooks " +
  "library (e.g. `new Webhook(secret).verify(body, headers)` from the `standardwebhooks` npm package) over the raw " +
  "body and the webhook-id, webhook-timestamp and webhook-signature headers.";

export const WebhookEndpoint = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(WebhookEventFilter),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: "Why Kiln disabled the endpoint (410 Gone, failing for days…); null when enabled." }),
    failure_streak: z.number().int().openapi({ description: "Deliveries failed in a row." }),
    failing_since: z.iso
      .datetime()
      .nullable()
      .openapi({ description: "When the current run of failures began; null when the last delivery succeeded." }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("WebhookEndpoint");
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export const WebhookCreateBody = strictObject(
  {
    url: WebhookUrl,
    events: WebhookEvents.optional().openapi({ description: 'Default: every job event (`["*"]`).' }),
    description: Description.optional(),
    enabled: z.boolean({ error: "enabled must be true or false." }).optional(),
  },
  "the body",
).openapi("WebhookCreate");
export type WebhookCreateBody = z.infer<typeof WebhookCreateBody>;

export const WebhookCreated = z
  .object({
    secret: z.string().openapi({ description: SECRET_NOTE, example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    webhook: WebhookEndpoint,
  })
  .openapi("WebhookCreated");

export const WebhookUpdateBody = strictObject(
  {
    url: WebhookUrl.optional(),
    events: WebhookEvents.optional(),
    description: Description.nullable().optional(),
    enabled: z
      .boolean({ error: "enabled must be true or false." })
      .optional()
      .openapi({ description: "true enables a disabled endpoint again, with a clean failure record." }),
  },
  "the body",
)
  .refine((body) => Object.keys(body).length > 0, "Give at least one of url, events, description, enabled.")
  .openapi("WebhookUpdate");
export type WebhookUpdateBody = z.infer<typeof WebhookUpdateBody>;

export const WebhookSecret = z
  .object({
    secret: z.string().openapi({ description: SECRET_NOTE, example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    previous_secret_expires_at: z.iso.datetime().nullable().openapi({
      description: "Until then deliveries carry a second signature, made with the previous secret.",
    }),
  })
  .openapi("WebhookSecret");

export const WebhookIdParam = idParam("a webhook endpoint id");
export const DeliveryIdParam = idParam("a webhook delivery id");

export const DeliveryStatus = z.enum(["pending", "succeeded", "dead"]).openapi({
  description: "pending: not sent yet, or waiting for a retry; succeeded: a 2xx came back; dead: no more retries.",
});

export const WebhookAttempt = z
  .object({
    attempt: z.number().int().openapi({ description: "1 for the first attempt." }),
    started_at: z.iso.datetime(),
    duration_ms: z.number().int().nullable(),
    response_code: z.number().int().nullable().openapi({ description: "Null when no response came (see error)." }),
    response_excerpt: z.string().nullable().openapi({ description: "The start of the response body." }),
    error: z.string().nullable(),
    succeeded: z.boolean(),
    next_attempt_at: z.iso.datetime().nullable().openapi({ description: "When the next try follows this one." }),
  })
  .openapi("WebhookAttempt");

export const WebhookDelivery = z
  .object({
    id: z.uuid(),
    event_id: z.uuid().openapi({ description: "The webhook-id header: the same on every retry and replay." }),
    event_type: z.string(),
    job_id: z.uuid().nullable(),
    status: DeliveryStatus,
    attempts: z.number().int(),
    next_attempt_at: z.iso.datetime().nullable().openapi({ description: "For a pending delivery: when it goes." }),
    last_attempt_at: z.iso.datetime().nullable(),
    response_code: z.number().int().nullable().openapi({ description: "Of the latest attempt." }),
    duration_ms: z.number().int().nullable().openapi({ description: "Of the latest attempt." }),
    response_excerpt: z.string().nullable().openapi({ description: "Of the latest attempt." }),
    error: z.string().nullable().openapi({ description: "Why the latest attempt failed." }),
    delivered_at: z.iso.datetime().nullable(),
    replay_of: z.uuid().nullable().openapi({ description: "The delivery this one replays." }),
    created_at: z.iso.datetime(),
    attempt_log: z.array(WebhookAttempt).openapi({ description: "Every attempt, first to last." }),
  })
  .openapi("WebhookDelivery");
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const DeliveryQueued = z
  .object({ delivery_id: z.uuid().openapi({ description: "The new delivery; follow it in the deliveries list." }) })
  .openapi("DeliveryQueued");

export const WebhookReplayBody = strictObject(
  {
    since: z.iso
      .datetime({ offset: true, error: "since must be an ISO 8601 date and time, e.g. 2030-01-31T00:00:00Z." })
      .openapi({ description: "Replay deliveries created at or after this time." }),
    status: z
      .enum(["dead"], { error: 'status must be "dead".' })
      .optional()
      .openapi({ description: "Which deliveries to replay: the dead ones (failed for good), the default." }),
  },
  "the body",
).openapi("WebhookReplay");

export const WebhookReplayed = z
  .object({ replayed: z.number().int().openapi({ description: "How many deliveries were queued again." }) })
  .openapi("WebhookReplayed");
