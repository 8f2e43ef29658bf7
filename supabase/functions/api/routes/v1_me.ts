/** GET /v1/me: the caller's profile, credits, limits and usage this month. */
import { z } from "@hono/zod-openapi";
import { clientIp } from "../../_shared/http/client_ip.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { accountBudgets } from "../rate_limit/rate_limit.ts";

const Me = z
  .object({
    id: z.uuid(),
    email: z.string().nullable(),
    role: z.enum(["user", "admin"]),
    credits: z.number().int(),
    limits: z.object({
      max_active_jobs: z.number().int(),
      rate_limit_per_minute: z
        .number()
        .int()
        .nullable()
        .openapi({ description: "The calling key's own limit (null: none); it can only lower the account's." }),
      account_rate_limit_per_minute: z.object({ read: z.number().int(), create: z.number().int() }).openapi({
        description: "The account's budgets per minute, shared by its sessions and all its keys.",
      }),
    }),
    usage_this_month: z.object({ jobs: z.number().int(), credits_spent: z.number().int() }),
    principal: z.object({
      kind: z.enum(["user", "api_key"]),
      api_key_id: z.uuid().nullable(),
      scopes: z.array(z.string()),
    }),
    client_ip: z.string().nullable().openapi({
      description:
        "The address Kiln's IP rate limit and audit log see for this request (from KILN_CLIENT_IP_HEADER); null when the trusted header is missing.",
    }),
  })
  .openapi("Me");

export function registerMe(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "account:read" },
    {
      method: "get",
      path: "/v1/me",
      tags: ["Account"],
      summary: "The caller's account",
      security: [{ bearer: [] }, { apiKey: [] }],
      responses: {
        200: { description: "Profile, credits, limits and usage.", content: { "application/json": { schema: Me } } },
      },
    },
  );
  app.openapi(route, async (c) => {
    const p = c.get("principal");
    const [row] = await deps.sql<
      {
        id: string;
        email: string | null;
        role: "user" | "admin";
        credits: number;
        max_active_jobs: number;
        jobs: number;
        spent: number;
      }[]
    >`
      select p.id, p.email, p.role, p.credits::int as credits,
             coalesce(p.max_active_jobs, (kiln.setting('max_active_jobs'))::int) as max_active_jobs,
             (select count(*)::int from public.jobs j
               where j.owner_id = p.id and j.created_at >= date_trunc('month', now())) as jobs,
             (select coalesce(-sum(l.delta), 0)::int from public.credit_ledger l
               where l.owner_id = p.id and l.reason in ('job_charge', 'job_refund')
                 and l.created_at >= date_trunc('month', now())) as spent
        from public.profiles p where p.id = ${p.userId}`;
    return c.json(
      {
        id: row.id,
        email: row.email,
        role: row.role,
        credits: row.credits,
        limits: {
          max_active_jobs: row.max_active_jobs,
          rate_limit_per_minute: p.rateLimitPerMinute ?? null,
          account_rate_limit_per_minute: accountBudgets(deps.auth.rateLimits, p.accountRateLimits),
        },
        usage_this_month: { jobs: row.jobs, credits_spent: row.spent },
        principal: { kind: p.kind, api_key_id: p.apiKeyId ?? null, scopes: [...p.scopes] },
        client_ip: clientIp(c.req.raw.headers, deps.config),
      },
      200,
    );
  });
}
