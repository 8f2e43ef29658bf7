/**
 * The webhook routes: endpoints, their secrets, test pings, the delivery log and replays, and the account secret
 * of per-job webhooks. The /v1/webhooks/secret routes come before /v1/webhooks/{id}, which would take "secret" for
 * an id.
 */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { registerDeliveriesReplay } from "./v1_deliveries_replay.ts";
import { registerWebhooksCreate } from "./v1_webhooks_create.ts";
import { registerWebhooksDelete } from "./v1_webhooks_delete.ts";
import { registerWebhooksDeliveriesList } from "./v1_webhooks_deliveries_list.ts";
import { registerWebhooksGet } from "./v1_webhooks_get.ts";
import { registerWebhooksGetAccountSecret } from "./v1_webhooks_get_account_secret.ts";
import { registerWebhooksList } from "./v1_webhooks_list.ts";
import { registerWebhooksReplay } from "./v1_webhooks_replay.ts";
import { registerWebhooksRotateAccountSecret } from "./v1_webhooks_rotate_account_secret.ts";
import { registerWebhooksRotateEndpointSecret } from "./v1_webhooks_rotate_endpoint_secret.ts";
import { registerWebhooksSendTestEvent } from "./v1_webhooks_send_test_event.ts";
import { registerWebhooksUpdate } from "./v1_webhooks_update.ts";

export function registerWebhookRoutes(app: ApiApp, deps: ApiDeps): void {
  registerWebhooksGetAccountSecret(app, deps);
  registerWebhooksRotateAccountSecret(app, deps);
  registerWebhooksCreate(app, deps);
  registerWebhooksList(app, deps);
  registerWebhooksGet(app, deps);
  registerWebhooksUpdate(app, deps);
  registerWebhooksDelete(app, deps);
  registerWebhooksRotateEndpointSecret(app, deps);
  registerWebhooksSendTestEvent(app, deps);
  registerWebhooksDeliveriesList(app, deps);
  registerWebhooksReplay(app, deps);
  registerDeliveriesReplay(app, deps);
}
