/**
 * Every jobs route with a request that passes validation, and the scope an API key needs for it: for the
 * shared tests that run the same auth refusals (no credentials, bad token, revoked key, wrong scope) everywhere.
 */
import type { Scope } from "../auth/principal.ts";

export interface RouteSpec {
  method: "GET" | "POST" | "DELETE";
  /** Under /functions/v1/api; ids are of a job that does not exist (auth is refused before the lookup). */
  path: string;
  body?: unknown;
  scope: Scope;
}

const JOB = "00000000-0000-4000-8000-000000000001";

export const JOB_ROUTES: readonly RouteSpec[] = [
  { method: "POST", path: "/v1/jobs", body: { type: "txt2img", params: { prompt: "a kiln" } }, scope: "jobs:write" },
  { method: "GET", path: "/v1/jobs", scope: "jobs:read" },
  { method: "GET", path: `/v1/jobs/${JOB}`, scope: "jobs:read" },
  { method: "POST", path: `/v1/jobs/${JOB}/cancel`, scope: "jobs:write" },
  { method: "GET", path: `/v1/jobs/${JOB}/outputs`, scope: "jobs:read" },
  { method: "DELETE", path: `/v1/jobs/${JOB}/outputs`, scope: "jobs:write" },
  { method: "POST", path: "/v1/uploads", body: { content_type: "image/png" }, scope: "jobs:write" },
  { method: "GET", path: "/v1/workflows", scope: "jobs:read" },
];
