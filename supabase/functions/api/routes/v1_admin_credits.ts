/** POST /v1/admin/credits: grants an account credits (or takes some back), with the reason in the ledger. */
import { AdminCreditGrantBody, AdminCreditGranted } from "../../../../shared/api/admin_credits.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { BODY_ERRORS } from "../admin/admin_rows.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

export function registerAdminCredits(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { admin: true },
    {
      method: "post",
      path: "/v1/admin/credits",
      tags: ["Admin"],
      summary: "Grant credits",
      description: "A negative amount takes credits back; a balance never goes below zero (402).",
      request: { body: { required: true, content: { "application/json": { schema: AdminCreditGrantBody } } } },
      responses: {
        201: {
          description: "The ledger entry's effect.",
          content: { "application/json": { schema: AdminCreditGranted } },
        },
      },
      errors: [...BODY_ERRORS, "insufficient_credits", "not_found"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    const sql = deps.sql;
    const audit = auditInsert(sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "credits.granted",
      targetType: "profile",
      source: "g",
      details: { amount: body.amount, reason: body.reason },
    });
    // kiln.post_credits raises KL010 (no such account → 404) or KL003 (balance below zero → 402).
    const [row] = await sql<{ balance: string }[]>`
      with g as (
        select ${body.user_id}::uuid as id,
               kiln.post_credits(${body.user_id}, ${body.amount}, 'admin_grant', null, ${principal.userId},
                                 ${body.reason}) as balance
      ), a as (${audit})
      select g.balance from g`;
    return c.json({ user_id: body.user_id, amount: body.amount, balance: Number(row.balance) }, 201);
  });
}
