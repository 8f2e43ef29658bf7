/** GET /v1/credits/ledger: every change of the caller's credits (grants, charges, refunds), newest first. */
import { z } from "@hono/zod-openapi";
import { LedgerEntry } from "../../../../shared/api/credits.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";

/** A cursor names the last entry of the previous page; entry ids only grow. */
const LedgerCursor = z.tuple([z.number().int().positive()]);

interface LedgerRow {
  id: number;
  delta: number;
  balance_after: number;
  reason: LedgerEntry["reason"];
  job_id: string | null;
  note: string | null;
  created_at: Date;
}

export function registerCreditsLedger(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "account:read" },
    {
      method: "get",
      path: "/v1/credits/ledger",
      tags: ["Account"],
      summary: "The credits ledger",
      request: { query: PageQuery },
      responses: {
        200: {
          description: "A page of ledger entries, newest first.",
          content: { "application/json": { schema: pageSchema(LedgerEntry, "LedgerPage") } },
        },
      },
    },
  );
  app.openapi(route, async (c) => {
    const owner = c.get("principal").userId;
    const { limit, cursor } = c.req.valid("query");
    const before = cursor === undefined ? undefined : decodeCursor(cursor, LedgerCursor)[0];
    // bigint columns as float8: JSON numbers, exact below 2^53.
    const rows = await deps.sql<LedgerRow[]>`
      select l.id::float8 as id, l.delta::float8 as delta, l.balance_after::float8 as balance_after, l.reason,
             l.job_id, l.note, l.created_at
        from public.credit_ledger l
       where l.owner_id = ${owner} ${before === undefined ? deps.sql`` : deps.sql`and l.id < ${before}`}
       order by l.id desc
       limit ${limit + 1}`;
    return c.json(
      toPage(
        rows,
        limit,
        (row) => [row.id],
        (row) => ({ ...row, created_at: row.created_at.toISOString() }),
      ),
      200,
    );
  });
}
