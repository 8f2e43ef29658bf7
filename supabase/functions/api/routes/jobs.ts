/** The jobs routes: jobs and their outputs, input uploads, and the workflows a job can run. */

import { supabaseStorage } from "../../_shared/storage/object_storage.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { registerJobsCancel } from "./v1_jobs_cancel.ts";
import { registerJobsCreate } from "./v1_jobs_create.ts";
import { registerJobsGet } from "./v1_jobs_get.ts";
import { registerJobsList } from "./v1_jobs_list.ts";
import { registerJobsOutputsDelete } from "./v1_jobs_outputs_delete.ts";
import { registerJobsOutputsList } from "./v1_jobs_outputs_list.ts";
import { registerUploadsCreate } from "./v1_uploads_create.ts";
import { registerWorkflowsList } from "./v1_workflows_list.ts";

export function registerJobRoutes(app: ApiApp, deps: ApiDeps): void {
  const storage = supabaseStorage(deps.config);
  registerJobsCreate(app, deps);
  registerJobsList(app, deps);
  registerJobsGet(app, deps);
  registerJobsCancel(app, deps);
  registerJobsOutputsList(app, deps, storage);
  registerJobsOutputsDelete(app, deps, storage);
  registerUploadsCreate(app, deps, storage);
  registerWorkflowsList(app, deps);
}
