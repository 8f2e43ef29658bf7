/** GET /v1/keys: the caller's API keys, newest first, revoked ones included, a page at a time. */
import { z } from "@hono/zod-openapi";
import { ApiKey } from "../../../../shared/api/keys.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";
import { type ApiKeyRow, apiKeyColumns, budgetsOf, toApiKey } from "./api_key_rows.ts";

/** A cursor names the last key of the previous page. */
const KeyCursor = z.tuple([z.uuid()]);

export function registerKeysList(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "keys:manage" },
    {
      method: "get",
      path: "/v1/keys",
      tags: ["API keys"],
      summary: "List API keys",
      request: { query: PageQuery },
      responses: {
        200: {
          description: "A page of keys; secrets are never shown again.",
          content: { "application/json": { schema: pageSchema(ApiKey, "ApiKeyPage") } },
        },
      },
    },
  );
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const owner = principal.userId;
    const budgets = budgetsOf(deps, principal);
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : decodeCursor(cursor, KeyCursor)[0];
    const rows = await deps.sql<ApiKeyRow[]>`
      select ${apiKeyColumns(deps.sql)}
        from public.api_keys k
       where k.owner_id = ${owner}
         ${
           after === undefined
             ? deps.sql``
             : deps.sql`and (k.created_at, k.id) <
                 (select c.created_at, c.id from public.api_keys c where c.id = ${after} and c.owner_id = ${owner})`
         }
       order by k.created_at desc, k.id desc
       limit ${limit + 1}`;
    return c.json(
      toPage(
        rows,
        limit,
        (row) => [row.id],
        (row) => toApiKey(row, budgets),
      ),
      200,
    );
  });
}
