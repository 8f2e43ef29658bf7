/**
 * One folder level of a bucket, as Storage's `storage.search()` answers storage-js `list()`: the immediate files
 * under the prefix with their rows, and each sub-folder once with null columns; filtered by `search` (a
 * case-insensitive start of the entry's name), sorted, then paged.
 */
import type { StoredObject } from "./object_store.ts";

export type ListEntry = Pick<StoredObject, "name"> & {
  id: string | null;
  updated_at: Date | null;
  created_at: Date | null;
  last_accessed_at: Date | null;
  metadata: StoredObject["metadata"] | null;
};

const SORT_COLUMNS = ["name", "updated_at", "created_at", "last_accessed_at"] as const;
type SortColumn = (typeof SORT_COLUMNS)[number];

interface ListOptions {
  limit?: unknown;
  offset?: unknown;
  search?: unknown;
  sortBy?: unknown;
}

/** The entries of the folder `prefix` (empty, or ending with `/`) among `rows`, which all start with it. */
export function listFolder(rows: StoredObject[], prefix: string, options: ListOptions): ListEntry[] {
  const search = typeof options.search === "string" ? options.search.toLowerCase() : "";
  const entries = new Map<string, ListEntry>();
  for (const row of rows) {
    const rest = row.name.slice(prefix.length);
    const [first] = rest.split("/");
    if (!first.toLowerCase().startsWith(search) || entries.has(first)) continue;
    entries.set(
      first,
      rest.includes("/")
        ? { name: first, id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null }
        : { ...row, name: first },
    );
  }
  const sortBy = (options.sortBy ?? {}) as { column?: unknown; order?: unknown };
  const column: SortColumn = SORT_COLUMNS.find((c) => c === sortBy.column) ?? "name";
  const direction = sortBy.order === "desc" ? -1 : 1;
  const key = (e: ListEntry) => (column === "name" ? e.name : (e[column]?.getTime() ?? 0));
  const sorted = [...entries.values()].sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : 0));
  const offset = Number.isInteger(options.offset) ? (options.offset as number) : 0;
  const limit = Number.isInteger(options.limit) ? (options.limit as number) : 100;
  return sorted.slice(offset, offset + limit);
}
