/** The admin routes (administrators only): workflows, credits, account limits, statistics, workers and settings. */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { registerAdminAccountsLimitsUpdate } from "./v1_admin_accounts_limits_update.ts";
import { registerAdminCredits } from "./v1_admin_credits.ts";
import { registerAdminSettingsGet } from "./v1_admin_settings_get.ts";
import { registerAdminSettingsUpdate } from "./v1_admin_settings_update.ts";
import { registerAdminStats } from "./v1_admin_stats.ts";
import { registerAdminWorkersCreate } from "./v1_admin_workers_create.ts";
import { registerAdminWorkersDelete } from "./v1_admin_workers_delete.ts";
import { registerAdminWorkersList } from "./v1_admin_workers_list.ts";
import { registerAdminWorkflowsCreate } from "./v1_admin_workflows_create.ts";
import { registerAdminWorkflowsDelete } from "./v1_admin_workflows_delete.ts";
import { registerAdminWorkflowsGet } from "./v1_admin_workflows_get.ts";
import { registerAdminWorkflowsList } from "./v1_admin_workflows_list.ts";
import { registerAdminWorkflowsUpdate } from "./v1_admin_workflows_update.ts";

export function registerAdminRoutes(app: ApiApp, deps: ApiDeps): void {
  registerAdminWorkflowsList(app, deps);
  registerAdminWorkflowsCreate(app, deps);
  registerAdminWorkflowsGet(app, deps);
  registerAdminWorkflowsUpdate(app, deps);
  registerAdminWorkflowsDelete(app, deps);
  registerAdminCredits(app, deps);
  registerAdminAccountsLimitsUpdate(app, deps);
  registerAdminStats(app, deps);
  registerAdminWorkersList(app, deps);
  registerAdminWorkersCreate(app, deps);
  registerAdminWorkersDelete(app, deps);
  registerAdminSettingsGet(app, deps);
  registerAdminSettingsUpdate(app, deps);
}
