/** System routes: health, the OpenAPI document and where the API reference is. */
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { documentSource, registerSecuritySchemes } from "../openapi/document.ts";
import { registerDocs } from "./docs.ts";
import { registerHealth } from "./health.ts";
import { registerOpenApiJson } from "./openapi_json.ts";

export function registerSystemRoutes(app: ApiApp, deps: ApiDeps): void {
  registerSecuritySchemes(app);
  const document = documentSource(app, deps.config, deps.version);
  registerHealth(app, deps);
  registerOpenApiJson(app, document);
  registerDocs(app, deps.config);
}
