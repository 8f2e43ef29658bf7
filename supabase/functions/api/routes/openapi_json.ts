/** GET /openapi.json: the OpenAPI 3.1 document of this API, generated from the routes' zod schemas. */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import type { ApiApp } from "../http/api_types.ts";
import type { ApiDocument } from "../openapi/document.ts";

export function registerOpenApiJson(app: ApiApp, document: () => ApiDocument): void {
  const route = createRoute({
    method: "get",
    path: "/openapi.json",
    tags: ["System"],
    summary: "The OpenAPI document",
    responses: {
      200: {
        description: "OpenAPI 3.1, JSON.",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
      },
      ...errorResponses("rate_limited", "internal"),
    },
  });
  app.openapi(route, (c) => c.json(document() as unknown as Record<string, unknown>, 200));
}
