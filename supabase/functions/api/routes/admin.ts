/** The admin routes. */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";

export function registerAdminRoutes(_app: ApiApp, _deps: ApiDeps): void {}
