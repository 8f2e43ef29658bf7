/**
 * GET /docs: where the API reference is. Hosted Edge Functions cannot serve web pages ("GET requests that return
 * text/html will be rewritten to text/plain", Supabase's routing guide), so the reference lives in the web
 * dashboard (KILN_DASHBOARD_URL) and this answers, in JSON, with its address and the OpenAPI document's.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import type { ApiConfig } from "../config.ts";
import type { ApiApp } from "../http/api_types.ts";

const DocsPointer = z
  .object({
    message: z.string(),
    openapi_url: z.string().openapi({ description: "The OpenAPI 3.1 document of this API." }),
    reference_url: z
      .string()
      .nullable()
      .openapi({ description: "The API reference page in the web dashboard; null when KILN_DASHBOARD_URL is unset." }),
  })
  .openapi("DocsPointer");

export function registerDocs(app: ApiApp, config: Pick<ApiConfig, "SUPABASE_URL" | "KILN_DASHBOARD_URL">): void {
  const route = createRoute({
    method: "get",
    path: "/docs",
    tags: ["System"],
    summary: "Where the API reference is",
    responses: {
      200: {
        description: "Links to the reference page and the OpenAPI document.",
        content: { "application/json": { schema: DocsPointer } },
      },
      ...errorResponses("rate_limited", "internal"),
    },
  });
  const reference = config.KILN_DASHBOARD_URL
    ? new URL("docs", `${config.KILN_DASHBOARD_URL.replace(/\/?$/, "/")}`).href
    : null;
  const pointer = {
    message: reference
      ? `The API reference is at ${reference}; the OpenAPI document is at openapi_url.`
      : "Edge Functions cannot serve web pages: read the OpenAPI document at openapi_url (set KILN_DASHBOARD_URL to link the dashboard's reference page).",
    openapi_url: `${config.SUPABASE_URL}/functions/v1/api/openapi.json`,
    reference_url: reference,
  };
  app.openapi(route, (c) => c.json(pointer, 200));
}
