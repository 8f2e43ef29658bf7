/**
 * The two halves every object route shares: taking an upload into a bucket (its size and MIME rules, then the
 * store) and serving stored bytes with the headers Storage sends.
 */
import type { StackContext } from "../stack_context.ts";
import { checkMimeType, findBucket, sizeLimit } from "./buckets.ts";
import type { ObjectRef } from "./object_keys.ts";
import type { ObjectStore, StoredObject } from "./object_store.ts";
import { readUpload } from "./upload_body.ts";

/** What the routes are given. */
export interface StorageDeps {
  ctx: StackContext;
  store: ObjectStore;
}

/** Reads the file in `request` into `ref` under its bucket's rules; answers storage-js's `{Id, Key}`. */
export async function receiveUpload(
  deps: StorageDeps,
  ref: ObjectRef,
  request: Request,
  options: { upsert: boolean; owner?: string },
): Promise<{ Id: string; Key: string }> {
  const bucket = await findBucket(deps.ctx.sql, ref.bucket);
  const file = await readUpload(request, sizeLimit(bucket));
  checkMimeType(bucket, file.mimeType);
  const row = await deps.store.put(ref, file, options);
  return { Id: row.id, Key: `${ref.bucket}/${ref.name}` };
}

/**
 * The object's bytes with its stored type, cache-control, ETag and Last-Modified. `download` (the query parameter
 * storage-js adds for `{download}`) asks for an attachment, named when it has a value.
 */
export function objectResponse(
  object: StoredObject,
  bytes: Uint8Array<ArrayBuffer>,
  download: string | undefined,
): Response {
  const { metadata } = object;
  const headers = new Headers({
    "content-type": metadata.mimetype,
    "content-length": String(bytes.byteLength),
    "cache-control": metadata.cacheControl,
    etag: metadata.eTag,
    "last-modified": new Date(metadata.lastModified).toUTCString(),
  });
  if (download !== undefined) {
    headers.set(
      "content-disposition",
      download ? `attachment; filename=${encodeURIComponent(download)};` : "attachment;",
    );
  }
  return new Response(bytes, { headers });
}
