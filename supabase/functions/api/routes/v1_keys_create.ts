/** POST /v1/keys: a new API key. The secret is in this response only; the database keeps its hash. */
import { ApiKeyCreateBody, ApiKeyCreated } from "../../../../shared/api/keys.ts";
import { auditInsert } from "../../_shared/http/audit.ts";
import { clientIp } from "../../_shared/http/client_ip.ts";
import { newApiKey } from "../auth/api_keys.ts";
import { auditActor } from "../auth/principal.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import {
  type ApiKeyRow,
  apiKeyColumns,
  assertCanGrant,
  assertWithinBudget,
  budgetsOf,
  toApiKey,
} from "./api_key_rows.ts";

const DAY_MS = 86_400_000;

export function registerKeysCreate(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "keys:manage" },
    {
      method: "post",
      path: "/v1/keys",
      tags: ["API keys"],
      summary: "Create an API key",
      description: "An API key may only give a new key scopes it holds itself.",
      request: { body: { required: true, content: { "application/json": { schema: ApiKeyCreateBody } } } },
      responses: {
        201: {
          description: "The key, with its secret shown this once.",
          content: { "application/json": { schema: ApiKeyCreated } },
        },
      },
      errors: ["invalid_json", "unsupported_media_type"],
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    assertCanGrant(principal, body.scopes);
    const budgets = budgetsOf(deps, principal);
    assertWithinBudget(body.rate_limit_per_minute, budgets);
    const expiresAt = body.expires_at
      ? new Date(body.expires_at)
      : body.expires_in_days
        ? new Date(Date.now() + body.expires_in_days * DAY_MS)
        : null;
    const { key, prefix, hash } = newApiKey();
    const audit = auditInsert(deps.sql, auditActor(principal, clientIp(c.req.raw.headers, deps.config)), {
      action: "key.created",
      targetType: "api_key",
      source: "k",
      details: {
        name: body.name,
        prefix,
        scopes: body.scopes,
        expires_at: expiresAt?.toISOString() ?? null,
        rate_limit_per_minute: body.rate_limit_per_minute ?? null,
      },
    });
    const [row] = await deps.sql<ApiKeyRow[]>`
      with k as (
        insert into public.api_keys (owner_id, name, prefix, secret_hash, scopes, rate_limit_per_minute, expires_at)
        values (${principal.userId}, ${body.name}, ${prefix}, ${hash}, ${body.scopes},
                ${body.rate_limit_per_minute ?? null}, ${expiresAt})
        returning *
      ), a as (${audit})
      select ${apiKeyColumns(deps.sql)} from k`;
    return c.json({ key, api_key: toApiKey(row, budgets) }, 201);
  });
}
