/**
 * PATCH /v1/admin/settings: changes deployment settings, chiefly the maintenance switch (while on, job creation
 * answers 503 `maintenance` with the reason). kiln.create_job reads the setting in its own transaction.
 */
import { AdminSettings, AdminSettingsPatchBody } from "../../../../shared/api/admin_settings.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { JsonValue } from "../admin/admin_rows.ts";
import { BODY_ERRORS } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

export function registerAdminSettingsUpdate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "patch",
      path: "/v1/admin/settings",
      tags: ["Admin"],
      summary: "Change settings",
      request: { body: { required: true, content: { "application/json": { schema: AdminSettingsPatchBody } } } },
      responses: {
        200: {
          description: "Every setting after the change.",
          content: { "application/json": { schema: AdminSettings } },
        },
      },
      errors: [...BODY_ERRORS],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    const changes = Object.entries(body).filter(([, value]) => value !== undefined);
    if (changes.length === 0) fail("validation_failed", "Give at least one setting to change.", { "(body)": "empty" });
    const values = Object.fromEntries(
      changes.map(([key, value]) => [
        key,
        key === "maintenance"
          ? { enabled: body.maintenance?.enabled, reason: body.maintenance?.reason ?? null }
          : value,
      ]),
    );
    const sql = deps.sql;
    const audit = auditInsert(sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "settings.updated",
      targetType: "settings",
      source: "s",
      details: { changes: values },
    });
    // The keys are those of the strict schema, each an existing row of kiln.settings.
    const rows = await sql<{ key: string; value: unknown }[]>`
      with changes as (select key, value from jsonb_each(${sql.json(values as JsonValue)})),
      s as (
        update kiln.settings t set value = changes.value, updated_at = now(), updated_by = ${principal.userId}
          from changes where t.key = changes.key
        returning t.key as id, t.value
      ), a as (${audit})
      select t.key, coalesce(s.value, t.value) as value
        from kiln.settings t left join s on s.id = t.key order by t.key`;
    return c.json(Object.fromEntries(rows.map((r) => [r.key, r.value])), 200);
  });
}
