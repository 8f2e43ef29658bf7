/** Every route of the API, registered by resource. Each group's file lists its operations, one file each. */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { registerAccountRoutes } from "./account.ts";
import { registerAdminRoutes } from "./admin.ts";
import { registerJobRoutes } from "./jobs.ts";
import { registerSystemRoutes } from "./system.ts";
import { registerWebhookRoutes } from "./webhooks.ts";

export function registerRoutes(app: ApiApp, deps: ApiDeps): void {
  registerSystemRoutes(app, deps);
  registerAccountRoutes(app, deps);
  registerJobRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerAdminRoutes(app, deps);
}
