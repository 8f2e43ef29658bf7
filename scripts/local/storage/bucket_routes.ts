/**
 * Storage's bucket API as storage-js calls it: list, get, create, update, empty and delete. Buckets are rows of
 * storage.buckets; RLS there lets only the service role see or change them (Kiln writes no bucket policy), so
 * other callers see none and are refused changes with Postgres's RLS wording, as Storage relays it. Emptying and
 * deleting go through storage.allow_delete_query, the way the Storage service alone may delete.
 */
import { rm } from "node:fs/promises";
import type { Hono } from "hono";
import type postgres from "postgres";
import { findBucket, listBuckets } from "./buckets.ts";
import { callerOf, isServiceRole } from "./caller.ts";
import { accessDenied, badRequest, bucketNotFound, StorageError } from "./errors.ts";
import { bucketFolder, checkBucketName } from "./object_keys.ts";
import { readJson } from "./request_json.ts";
import type { StorageDeps } from "./transfers.ts";

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A file size limit as storage-js sends it: bytes, or a string with a unit ("50MB", "1GiB"); null clears it. */
function sizeInBytes(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  const m = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(value) : null;
  if (!m) throw badRequest("file_size_limit must be a number of bytes or a size such as 50MB");
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? "b").toLowerCase()]);
}

/** The bucket fields a create or update body sets. */
function bucketFields(body: Record<string, unknown>) {
  const mime = body.allowed_mime_types;
  if (mime !== undefined && mime !== null && !(Array.isArray(mime) && mime.every((m) => typeof m === "string"))) {
    throw badRequest("allowed_mime_types must be a list of MIME types");
  }
  if (body.public !== undefined && typeof body.public !== "boolean") throw badRequest("public must be true or false");
  return {
    public: body.public as boolean | undefined,
    file_size_limit: sizeInBytes(body.file_size_limit),
    allowed_mime_types: mime as string[] | null | undefined,
  };
}

/** The service role, or Storage's relay of the RLS refusal on storage.buckets. */
async function requireServiceRole(deps: StorageDeps, authorization: string | undefined): Promise<void> {
  const caller = await callerOf(deps.ctx.keys, authorization);
  if (!isServiceRole(caller)) throw accessDenied('new row violates row-level security policy for table "buckets"');
}

/** Deletes every object row of `bucket` (as the Storage service) and its files. */
async function emptyBucket(deps: StorageDeps, tx: postgres.TransactionSql, bucket: string): Promise<void> {
  await tx`select set_config('storage.allow_delete_query', 'true', true)`;
  await tx`delete from storage.objects where bucket_id = ${bucket}`;
  await rm(bucketFolder(deps.ctx.dataDir, bucket), { recursive: true, force: true });
}

export function bucketRoutes(app: Hono, deps: StorageDeps): void {
  const { sql, keys } = deps.ctx;

  app.get("/bucket", async (c) => {
    const caller = await callerOf(keys, c.req.header("authorization"));
    return c.json(isServiceRole(caller) ? await listBuckets(sql) : []);
  });

  app.get("/bucket/:id", async (c) => {
    const caller = await callerOf(keys, c.req.header("authorization"));
    if (!isServiceRole(caller)) throw bucketNotFound();
    return c.json(await findBucket(sql, c.req.param("id")));
  });

  app.post("/bucket", async (c) => {
    await requireServiceRole(deps, c.req.header("authorization"));
    const body = await readJson(c);
    if (typeof body.name !== "string") throw badRequest("body must have required property 'name'");
    const id = checkBucketName(typeof body.id === "string" ? body.id : body.name);
    const fields = bucketFields(body);
    const [row] = await sql`
      insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
      values (${id}, ${checkBucketName(body.name)}, ${fields.public ?? false}, ${fields.file_size_limit ?? null},
              ${fields.allowed_mime_types ?? null})
      on conflict do nothing returning id`;
    if (!row) throw new StorageError(409, "BucketAlreadyExists", "The resource already exists", "Duplicate");
    return c.json({ name: id });
  });

  app.put("/bucket/:id", async (c) => {
    await requireServiceRole(deps, c.req.header("authorization"));
    const fields = bucketFields(await readJson(c));
    const [row] = await sql`
      update storage.buckets set
        public = coalesce(${fields.public ?? null}, public),
        file_size_limit = case when ${fields.file_size_limit === undefined} then file_size_limit
                               else ${fields.file_size_limit ?? null}::bigint end,
        allowed_mime_types = case when ${fields.allowed_mime_types === undefined} then allowed_mime_types
                                  else ${fields.allowed_mime_types ?? null}::text[] end,
        updated_at = now()
      where id = ${c.req.param("id")} returning id`;
    if (!row) throw bucketNotFound();
    return c.json({ message: "Successfully updated" });
  });

  app.post("/bucket/:id/empty", async (c) => {
    await requireServiceRole(deps, c.req.header("authorization"));
    const bucket = (await findBucket(sql, c.req.param("id"))).id;
    await sql.begin((tx) => emptyBucket(deps, tx, bucket));
    return c.json({ message: "Successfully emptied" });
  });

  app.delete("/bucket/:id", async (c) => {
    await requireServiceRole(deps, c.req.header("authorization"));
    const bucket = (await findBucket(sql, c.req.param("id"))).id;
    await sql.begin(async (tx) => {
      const [{ n }] = await tx<
        { n: number }[]
      >`select count(*)::int as n from storage.objects where bucket_id = ${bucket}`;
      if (n > 0) {
        throw new StorageError(
          409,
          "ResourceNotEmpty",
          "The bucket you tried to delete is not empty",
          "Bucket not empty",
        );
      }
      await tx`select set_config('storage.allow_delete_query', 'true', true)`;
      await tx`delete from storage.buckets where id = ${bucket}`;
    });
    await rm(bucketFolder(deps.ctx.dataDir, bucket), { recursive: true, force: true });
    return c.json({ message: "Successfully deleted" });
  });
}
