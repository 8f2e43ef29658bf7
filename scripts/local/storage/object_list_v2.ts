/**
 * Storage's list v2, as storage-js `listV2()` calls it: the objects whose names start with `prefix`, by name
 * (byte order) ascending or descending; with `with_delimiter`, each sub-folder once (`{id: null, name: "a/"}`) in
 * place of what it holds. At most `limit` entries (1000 at most); when more remain, `hasNext` and an opaque
 * `nextCursor` to pass back. Sorting by created_at or updated_at is not reproduced: entries come by name.
 */
import { badRequest } from "./errors.ts";
import type { StoredObject } from "./object_store.ts";

interface ListV2Body {
  prefix?: unknown;
  limit?: unknown;
  cursor?: unknown;
  with_delimiter?: unknown;
  sortBy?: unknown;
}

interface Cursor {
  startAfter: string;
  order: "asc" | "desc";
}

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString("base64url");

function decodeCursor(value: unknown): Cursor | undefined {
  if (value === undefined) return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(String(value), "base64url").toString("utf8")) as Cursor;
    if (typeof cursor.startAfter === "string" && (cursor.order === "asc" || cursor.order === "desc")) return cursor;
  } catch {
    // answered below
  }
  throw badRequest("Invalid cursor");
}

/** The page `body` asks for among `rows` (every object under the prefix, by name ascending). */
export function listV2(rows: StoredObject[], body: ListV2Body) {
  const prefix = typeof body.prefix === "string" ? body.prefix : "";
  const limit = Math.min(
    Number.isInteger(body.limit) && (body.limit as number) > 0 ? (body.limit as number) : 1000,
    1000,
  );
  const cursor = decodeCursor(body.cursor);
  const requested = (body.sortBy as { order?: unknown } | undefined)?.order === "desc" ? "desc" : "asc";
  const order = cursor?.order ?? requested;
  const ordered = order === "asc" ? rows : [...rows].reverse();
  const after = cursor?.startAfter;
  const entries: { id: string | null; name: string; bucket_id: string; [key: string]: unknown }[] = [];
  let lastFolder = "";
  for (const row of ordered) {
    if (after !== undefined && (order === "asc" ? row.name <= after : row.name >= after)) continue;
    const slash = body.with_delimiter === true ? row.name.indexOf("/", prefix.length) : -1;
    if (slash >= 0) {
      const folder = row.name.slice(0, slash + 1);
      if (folder !== lastFolder) entries.push({ id: null, name: folder, bucket_id: row.bucket_id });
      lastFolder = folder;
      continue;
    }
    entries.push({
      id: row.id,
      name: row.name,
      bucket_id: row.bucket_id,
      metadata: row.metadata,
      updated_at: row.updated_at,
      created_at: row.created_at,
      last_accessed_at: row.last_accessed_at,
    });
  }
  const page = entries.slice(0, limit);
  const hasNext = entries.length > limit;
  // A folder entry's cursor skips the rest of the folder: everything in it sorts before `folder` + U+FFFF.
  const last = page.at(-1);
  const startAfter = last && last.id === null && order === "asc" ? `${last.name}\uffff` : last?.name;
  return {
    hasNext,
    nextCursor: hasNext && startAfter !== undefined ? encodeCursor({ startAfter, order }) : undefined,
    nextCursorKey: hasNext ? last?.name : undefined,
    folders: page.filter((e) => e.id === null),
    objects: page.filter((e) => e.id !== null),
  };
}
