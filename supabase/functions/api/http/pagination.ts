/**
 * Cursor pagination for list endpoints (keyset, newest first): `?limit=1..100&cursor=<opaque>` in, `{data,
 * next_cursor}` out. A cursor is the base64url JSON of the last row's sort position; routes choose what that
 * position is (a ledger id, a key id…) and check it with a zod schema when it comes back.
 */
import { z } from "@hono/zod-openapi";
import { strictObject } from "../../../../shared/api/strict_object.ts";
import { fail } from "../../_shared/http/errors.ts";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const limitMessage = `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`;

/** The query parameters of a list: `limit` and `cursor`. Extend it for filters (`PageQuery.extend({…})`;
 * the extension keeps rejecting unknown parameters). */
export const PageQuery = strictObject(
  {
    limit: z.coerce
      .number({ error: limitMessage })
      .int(limitMessage)
      .min(1, limitMessage)
      .max(MAX_PAGE_SIZE, limitMessage)
      .default(DEFAULT_PAGE_SIZE)
      .openapi({
        param: { name: "limit", in: "query" },
        description: `How many items to return (1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}).`,
        example: DEFAULT_PAGE_SIZE,
      }),
    cursor: z
      .string()
      .min(1, "cursor must not be empty; leave it out for the first page.")
      .max(512, "cursor is too long; pass next_cursor from the previous page as it is.")
      .optional()
      .openapi({
        param: { name: "cursor", in: "query" },
        description: "The `next_cursor` of the previous page; leave it out for the first page.",
      }),
  },
  "the query",
);
export type PageQuery = z.infer<typeof PageQuery>;

/** The response schema of a list of `item`s, registered in the OpenAPI document as `name`. */
export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass it as `cursor` for the next page; null on the last page." }),
    })
    .openapi(name);
}

/** The opaque cursor that stands for `position` (the sort key of the last row of a page). */
export function encodeCursor(position: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The position `cursor` stands for, checked against `shape`; a 422 naming `cursor` when it is not one of ours. */
export function decodeCursor<T>(cursor: string, shape: z.ZodType<T>): T {
  let decoded: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    decoded = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
  } catch {
    decoded = undefined;
  }
  const parsed = shape.safeParse(decoded);
  if (!parsed.success) {
    const message = "cursor is not one this list gave out; pass next_cursor from the previous page as it is.";
    fail("validation_failed", message, { cursor: message });
  }
  return parsed.data;
}

/**
 * A page from up to `limit + 1` rows (fetch one more than the page holds): the first `limit`, and a cursor
 * after the last of them when there are more.
 */
export function toPage<Row, Item = Row>(
  rows: readonly Row[],
  limit: number,
  position: (row: Row) => unknown,
  present: (row: Row) => Item = (row) => row as unknown as Item,
): { data: Item[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return {
    data: data.map(present),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  };
}
