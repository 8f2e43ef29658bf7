/** GET /v1/admin/settings: every deployment setting by key (the maintenance switch among them). */
import { AdminSettings } from "../../../../shared/api/admin_settings.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

export function registerAdminSettingsGet(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "get",
      path: "/v1/admin/settings",
      tags: ["Admin"],
      summary: "Read settings",
      responses: {
        200: { description: "Every setting by key.", content: { "application/json": { schema: AdminSettings } } },
      },
    },
  );
  app.openapi(route, async (c) => {
    const rows = await deps.sql<{ key: string; value: unknown }[]>`select key, value from kiln.settings order by key`;
    return c.json(Object.fromEntries(rows.map((r) => [r.key, r.value])), 200);
  });
}
