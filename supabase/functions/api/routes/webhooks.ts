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
import { registerWebhooksList } from "./v1_webhooks_list.ts";
import { registerWebhooksReplay } from "./v1_webhooks_replay.ts";
import { registerWebhooksRotateSecret } from "./v1_webhooks_rotate_secret.ts";
import { registerWebhooksSecretGet } from "./v1_webhooks_secret_get.ts";
import { registerWebhooksSecretRotate } from "./v1_webhooks_secret_rotate.ts";
import { registerWebhooksTest } from "./v1_webhooks_test.ts";
import { registerWebhooksUpdate } from "./v1_webhooks_update.ts";

export function registerWebhookRoutes(app: ApiApp, deps: ApiDeps): void {
  registerWebhooksSecretGet(app, deps);
  registerWebhooksSecretRotate(app, deps);
  registerWebhooksCreate(app, deps);
  registerWebhooksList(app, deps);
  registerWebhooksGet(app, deps);
  registerWebhooksUpdate(app, deps);
  registerWebhooksDelete(app, deps);
  registerWebhooksRotateSecret(app, deps);
  registerWebhooksTest(app, deps);
  registerWebhooksDeliveriesList(app, deps);
  registerWebhooksReplay(app, deps);
  registerDeliveriesReplay(app, deps);
}
