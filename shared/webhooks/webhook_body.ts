/**
 * The body of one webhook delivery (shared/api/webhook_payload.ts): the event as the outbox stored it, with API
 * links for the job, at most MAX_WEBHOOK_BODY_BYTES. A body that would be larger loses its bulkiest optional
 * fields, in TRIM_ORDER, each set to null and named in `data.truncated`, so the receiver knows to fetch the job.
 */

/** The largest body a receiver gets (20 KB). */
export const MAX_WEBHOOK_BODY_BYTES = 20 * 1024;

/** Which job fields go, in this order, when a body is too large: the receiver can read them back through links.job. */
const TRIM_ORDER = ["params", "metadata", "progress", "outputs", "error"] as const;

/** An event as kiln.enqueue_webhooks stores it in webhook_deliveries.payload. */
export interface StoredEvent {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

const encoder = new TextEncoder();

/** The JSON text to send for `event`; `apiUrl` is SUPABASE_URL, where the `api` function is served. */
export function webhookBody(event: StoredEvent, apiUrl: string, maxBytes = MAX_WEBHOOK_BODY_BYTES): string {
  const data: Record<string, unknown> = { ...event.data };
  if (event.type.startsWith("job.") && typeof data.id === "string") {
    const job = `${apiUrl.replace(/\/+$/, "")}/functions/v1/api/v1/jobs/${data.id}`;
    data.links = { job, outputs: `${job}/outputs` };
  }
  const body = () => JSON.stringify({ id: event.id, type: event.type, created_at: event.created_at, data });
  let text = body();
  const truncated: string[] = [];
  for (const field of TRIM_ORDER) {
    if (encoder.encode(text).length <= maxBytes) return text;
    if (data[field] === null || data[field] === undefined) continue;
    data[field] = null;
    truncated.push(field);
    data.truncated = truncated;
    text = body();
  }
  if (encoder.encode(text).length <= maxBytes) return text;
  // Nothing optional is left to drop (a huge unexpected field): the id, the status and the links still go.
  const { id, type, status, links } = data;
  return JSON.stringify({
    id: event.id,
    type: event.type,
    created_at: event.created_at,
    data: { id, type, status, links, truncated: ["*"] },
  });
}
