/** GET /health: is the database reachable, which version runs, for how long. No credentials needed. */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../../../../shared/api/error_schema.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";

const Health = z
  .object({
    status: z.literal("ok"),
    database: z.literal("reachable"),
    version: z.string(),
    uptime_s: z.number().int(),
  })
  .openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["System"],
  summary: "Health check",
  responses: {
    200: { description: "The API and its database answer.", content: { "application/json": { schema: Health } } },
    ...errorResponses("internal"),
  },
});

export function registerHealth(app: ApiApp, deps: ApiDeps): void {
  app.openapi(healthRoute, async (c) => {
    await deps.sql`select 1`;
    return c.json(
      {
        status: "ok" as const,
        database: "reachable" as const,
        version: deps.version,
        uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
      },
      200,
    );
  });
}
