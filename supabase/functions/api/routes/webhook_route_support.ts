/**
 * What the webhook routes share: the columns of an endpoint (never its secrets) and its JSON form, the SSRF check
 * a URL passes at registration, and the audit of a change made by a function.
 */
import type { Context } from "hono";
import type postgres from "postgres";
import type { WebhookEndpoint } from "../../../../shared/api/webhooks.ts";
import { checkUrlTarget, targetPolicyOf } from "../../../../shared/net/url_policy.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiEnv } from "../http/api_types.ts";

/** How a receiver checks a delivery, for the route descriptions. */
export const VERIFY_NOTE =
  "Deliveries are signed per the Standard Webhooks spec: headers `webhook-id` (the event id, stable across " +
  "retries), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of `<id>.<timestamp>.<body>`, " +
  "keyed with the base64 bytes after `whsec_`). Verify over the raw body with a Standard Webhooks library, e.g. " +
  "`new Webhook(secret).verify(rawBody, headers)` from the `standardwebhooks` npm package, and reject old " +
  "timestamps. During a rotation the header carries two signatures (new and previous secret) for 24 h: either verifies.";

export interface WebhookRow {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failure_streak: number;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns of an endpoint record (never the secrets), from the relation aliased `w`. */
export function webhookColumns(sql: postgres.Sql): postgres.PendingQuery<postgres.Row[]> {
  return sql`w.id, w.url, w.description, w.events, w.enabled, w.disabled_reason, w.failure_streak, w.failing_since,
             w.created_at, w.updated_at`;
}

/** An endpoint row as the API shows it. */
export function toWebhook(row: WebhookRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEndpoint["events"],
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    failure_streak: row.failure_streak,
    failing_since: row.failing_since?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * Refuses (422 webhook_url_refused) a URL Kiln may not call: not https (plain http only for hosts on
 * KILN_WEBHOOK_HTTP_ALLOW), or a host that is or resolves to a private, loopback, link-local or metadata address
 * (unless it is on KILN_WEBHOOK_PRIVATE_ALLOW). The dispatcher checks again before every delivery.
 */
export async function assertWebhookTarget(deps: ApiDeps, url: string, field = "url"): Promise<void> {
  const check = await checkUrlTarget(url, deps.resolver, targetPolicyOf(deps.config));
  if (check.ok) return;
  fail("webhook_url_refused", `Kiln will not send webhooks to this URL: ${check.reason}.`, { [field]: check.reason });
}

/** 404 for an endpoint the caller does not have. */
export function noSuchWebhook(): never {
  return fail("not_found", "You have no webhook endpoint with this id.");
}

/**
 * An audit row for a change that a kiln function makes: the statement runs `change` (a select whose row has
 * the target's `id`) and writes the audit row with it, so both commit or neither does. Answers the change's row.
 */
export async function auditedChange<Row extends postgres.Row>(
  deps: ApiDeps,
  c: Context<ApiEnv>,
  audit: { action: string; targetType: string; details?: Record<string, unknown> },
  change: postgres.PendingQuery<postgres.Row[]>,
): Promise<Row | undefined> {
  const principal = c.get("principal");
  const insert = auditInsert(deps.sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
    ...audit,
    source: "x",
  });
  const [row] = await deps.sql<Row[]>`with x as (${change}), a as (${insert}) select * from x`;
  return row;
}
