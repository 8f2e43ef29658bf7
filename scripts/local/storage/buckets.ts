/**
 * Buckets, read from storage.buckets (migrations create them), and the two rules a bucket puts on uploads:
 * its size limit (never above the stack-wide limit) and its allowed MIME types, matched as Storage matches them.
 */
import type postgres from "postgres";
import { bucketNotFound, invalidMimeType } from "./errors.ts";

/** `supabase start`'s default `[storage] file_size_limit` (50 MiB), also the Free plan's limit. */
export const GLOBAL_FILE_SIZE_LIMIT = 50 * 1024 * 1024;

export interface Bucket {
  id: string;
  name: string;
  owner: string | null;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
  created_at: Date;
  updated_at: Date;
}

type BucketRow = Omit<Bucket, "file_size_limit"> & { file_size_limit: string | number | null };

const columns = "id, name, owner, public, file_size_limit, allowed_mime_types, created_at, updated_at";

// bigint arrives as a string from postgres.js.
const toBucket = (row: BucketRow): Bucket => ({
  ...row,
  file_size_limit: row.file_size_limit === null ? null : Number(row.file_size_limit),
});

/** The bucket `id`, or NoSuchBucket (404). */
export async function findBucket(sql: postgres.Sql, id: string): Promise<Bucket> {
  const [row] = await sql.unsafe<BucketRow[]>(`select ${columns} from storage.buckets where id = $1`, [id]);
  if (!row) throw bucketNotFound();
  return toBucket(row);
}

/** Every bucket, by name. */
export async function listBuckets(sql: postgres.Sql): Promise<Bucket[]> {
  const rows = await sql.unsafe<BucketRow[]>(`select ${columns} from storage.buckets order by name`);
  return rows.map(toBucket);
}

/** The most bytes one file in `bucket` may have. */
export function sizeLimit(bucket: Bucket): number {
  return Math.min(bucket.file_size_limit ?? GLOBAL_FILE_SIZE_LIMIT, GLOBAL_FILE_SIZE_LIMIT);
}

/**
 * InvalidMimeType (415) unless `mimeType` is allowed. Like Storage, the comparison is on `type/subtype` exactly as
 * sent, parameters included: `text/plain;charset=UTF-8` (storage-js's default for raw bodies) does not match
 * `text/plain`; `image/*` allows every image type.
 */
export function checkMimeType(bucket: Bucket, mimeType: string): void {
  const allowed = bucket.allowed_mime_types;
  if (!allowed || allowed.length === 0) return;
  const [type, subtype] = mimeType.split("/");
  const ok =
    subtype !== undefined &&
    allowed.some((entry) => {
      const [allowedType, allowedSubtype] = entry.split("/");
      return allowedType === type && (allowedSubtype === "*" || allowedSubtype === subtype);
    });
  if (!ok) throw invalidMimeType(mimeType);
}
