/** GET /docs: the API reference, an HTML page rendered from the OpenAPI document. */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import type { ApiApp } from "../http/api_types.ts";
import { renderDocsPage } from "../openapi/docs_page.ts";
import type { ApiDocument } from "../openapi/document.ts";

export function registerDocs(app: ApiApp, document: () => ApiDocument): void {
  const route = createRoute({
    method: "get",
    path: "/docs",
    tags: ["System"],
    summary: "The API reference page",
    responses: {
      200: { description: "HTML.", content: { "text/html": { schema: z.string() } } },
      ...errorResponses("rate_limited", "internal"),
    },
  });
  let page: string | undefined;
  app.openapi(route, (c) => {
    page ??= renderDocsPage(document());
    return c.html(page, 200);
  });
}
