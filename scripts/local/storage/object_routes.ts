/**
 * Object routes that need a JWT in Authorization. The service role bypasses RLS; anyone else meets
 * storage.objects without a policy, so (as on Supabase) uploads are refused and reads, lists and deletes find
 * nothing.
 *   POST   /object/:bucket/:name (x-upsert)  → {Id, Key}
 *   GET    /object/[authenticated/]:bucket/:name  → the bytes
 *   DELETE /object/:bucket {prefixes}  → the deleted rows
 *   POST   /object/list/:bucket {prefix, limit, offset, sortBy, search}  → folders and files
 *   PUT    /object/:bucket/:name  → {Id, Key} (an update: the object is replaced)
 *   POST   /object/move {bucketId, sourceKey, destinationKey, destinationBucket?}  → {message, Id, Key}
 *   POST   /object/copy {…as move, copyMetadata?} (x-upsert)  → {Id, Key, …the new row}
 *   GET    /object/info/[authenticated/]:bucket/:name  → the object's information, Storage's InfoRenderer fields
 *   POST   /object/list-v2/:bucket {prefix, limit, cursor, with_delimiter, sortBy}  → a page (object_list_v2.ts)
 */
import type { Context, Hono } from "hono";
import { findBucket } from "./buckets.ts";
import { type Caller, callerOf, isServiceRole } from "./caller.ts";
import { badRequest, objectNotFound, rlsRefused } from "./errors.ts";
import { checkBucketName, objectRef } from "./object_keys.ts";
import { listFolder } from "./object_list.ts";
import { listV2 } from "./object_list_v2.ts";
import { readJson } from "./request_json.ts";
import { objectResponse, receiveUpload, type StorageDeps } from "./transfers.ts";

const MAX_PREFIXES = 1000;

/** Registers the routes on `app`, after the routes whose paths they would shadow (`/object/sign/…`). */
export function objectRoutes(app: Hono, deps: StorageDeps): void {
  const { ctx, store } = deps;
  const callerFor = (c: Context): Promise<Caller> => callerOf(ctx.keys, c.req.header("authorization"));

  app.post("/object/list/:bucket", async (c) => {
    const bucket = checkBucketName(c.req.param("bucket"));
    const caller = await callerFor(c);
    const body = await readJson(c);
    if (typeof body.prefix !== "string") throw badRequest("body must have required property 'prefix'");
    if (!isServiceRole(caller)) return c.json([]);
    await findBucket(ctx.sql, bucket);
    return c.json(
      listFolder(await store.withPrefix(bucket, folderPrefix(body.prefix)), folderPrefix(body.prefix), body),
    );
  });

  app.post("/object/list-v2/:bucket", async (c) => {
    const bucket = checkBucketName(c.req.param("bucket"));
    const body = await readJson(c);
    if (!isServiceRole(await callerFor(c))) return c.json(listV2([], body));
    await findBucket(ctx.sql, bucket);
    const prefix = typeof body.prefix === "string" ? body.prefix : "";
    return c.json(listV2(await store.withPrefix(bucket, prefix), body));
  });

  /** The source and destination of a move or copy body. */
  const transfer = async (c: Context) => {
    const body = await readJson(c);
    for (const field of ["bucketId", "sourceKey", "destinationKey"]) {
      if (typeof body[field] !== "string") throw badRequest(`body must have required property '${field}'`);
    }
    const b = body as Record<string, string>;
    const from = objectRef(b.bucketId, b.sourceKey);
    const to = objectRef(
      typeof body.destinationBucket === "string" ? body.destinationBucket : b.bucketId,
      b.destinationKey,
    );
    if (!isServiceRole(await callerFor(c))) throw objectNotFound();
    await findBucket(ctx.sql, to.bucket);
    return { body, from, to };
  };

  app.post("/object/move", async (c) => {
    const { from, to } = await transfer(c);
    const row = await store.move(from, to);
    return c.json({ message: "Successfully moved", Id: row.id, Key: row.name });
  });

  app.post("/object/copy", async (c) => {
    const { body, from, to } = await transfer(c);
    const upsert = c.req.header("x-upsert") === "true";
    const row = await store.copy(from, to, { upsert, copyMetadata: body.copyMetadata !== false });
    return c.json({ Id: row.id, Key: `${to.bucket}/${to.name}`, ...row });
  });

  const info = async (c: Context) => {
    const ref = objectRef(c.req.param("bucket") ?? "", c.req.param("name") ?? "");
    if (!isServiceRole(await callerFor(c))) throw objectNotFound();
    const object = await store.find(ref);
    if (!object) throw objectNotFound();
    return c.json({
      id: object.id,
      name: object.name,
      version: object.version,
      bucket_id: object.bucket_id,
      size: object.metadata.size ?? null,
      content_type: object.metadata.mimetype ?? null,
      cache_control: object.metadata.cacheControl ?? null,
      etag: object.metadata.eTag ?? null,
      metadata: object.user_metadata,
      last_modified: object.updated_at,
      created_at: object.created_at,
    });
  };
  app.get("/object/info/authenticated/:bucket/:name{.+}", info);
  app.get("/object/info/:bucket/:name{.+}", info);

  const download = async (c: Context) => {
    const ref = objectRef(c.req.param("bucket") ?? "", c.req.param("name") ?? "");
    if (!isServiceRole(await callerFor(c))) throw objectNotFound();
    await findBucket(ctx.sql, ref.bucket);
    const { object, bytes } = await store.read(ref);
    return objectResponse(object, bytes, c.req.query("download"));
  };
  app.get("/object/authenticated/:bucket/:name{.+}", download);
  app.get("/object/:bucket/:name{.+}", download);

  // POST uploads (x-upsert decides about an existing object); PUT updates, replacing it, as Storage's updateObject.
  const upload = (always: boolean) => async (c: Context) => {
    const ref = objectRef(c.req.param("bucket") ?? "", c.req.param("name") ?? "");
    const caller = await callerFor(c);
    if (!isServiceRole(caller)) throw rlsRefused();
    const upsert = always || c.req.header("x-upsert") === "true";
    return c.json(await receiveUpload(deps, ref, c.req.raw, { upsert, owner: caller.userId }));
  };
  app.post("/object/:bucket/:name{.+}", upload(false));
  app.put("/object/:bucket/:name{.+}", upload(true));

  app.delete("/object/:bucket", async (c) => {
    const bucket = checkBucketName(c.req.param("bucket"));
    const caller = await callerFor(c);
    const body = await readJson(c);
    const prefixes = body.prefixes;
    if (!Array.isArray(prefixes) || prefixes.length < 1 || prefixes.length > MAX_PREFIXES) {
      throw badRequest(`body/prefixes must have between 1 and ${MAX_PREFIXES} items`);
    }
    if (!prefixes.every((p) => typeof p === "string")) throw badRequest("body/prefixes/0 must be string");
    if (!isServiceRole(caller)) return c.json([]);
    return c.json(await store.remove(bucket, prefixes));
  });
}

/** Storage lists a folder: a non-empty prefix always ends with `/`. */
function folderPrefix(prefix: string): string {
  return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
}
