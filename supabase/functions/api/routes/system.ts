/** System routes: health, the OpenAPI document and the API reference page. */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { registerHealth } from "./health.ts";

export function registerSystemRoutes(app: ApiApp, deps: ApiDeps): void {
  registerHealth(app, deps);
}
