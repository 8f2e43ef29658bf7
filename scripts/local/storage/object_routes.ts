/**
 * Object routes that need a JWT in Authorization. The service role bypasses RLS; anyone else meets
 * storage.objects without a policy, so (as on Supabase) uploads are refused and reads, lists and deletes find
 * nothing.
 *   POST   /object/:bucket/:name (x-upsert)  → {Id, Key}
 *   GET    /object/[authenticated/]:bucket/:name  → the bytes
 *   DELETE /object/:bucket {prefixes}  → the deleted rows
 *   POST   /object/list/:bucket {prefix, limit, offset, sortBy, search}  → folders and files
 */
import type { Context, Hono } from "hono";
import { findBucket } from "./buckets.ts";
import { type Caller, callerOf, isServiceRole } from "./caller.ts";
import { badRequest, objectNotFound, rlsRefused } from "./errors.ts";
import { checkBucketName, objectRef } from "./object_keys.ts";
import { listFolder } from "./object_list.ts";
import { objectResponse, receiveUpload, type StorageDeps } from "./transfers.ts";

const MAX_PREFIXES = 1000;

/** Registers the routes on `app`, after the routes whose paths they would shadow (`/object/sign/…`). */
export function objectRoutes(app: Hono, deps: StorageDeps): void {
  const { ctx, store } = deps;
  const callerFor = (c: Context): Promise<Caller> => callerOf(ctx.keys, c.req.header("authorization"));

  app.post("/object/list/:bucket", async (c) => {
    const bucket = checkBucketName(c.req.param("bucket"));
    const caller = await callerFor(c);
    const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (typeof body?.prefix !== "string") throw badRequest("body must have required property 'prefix'");
    if (!isServiceRole(caller)) return c.json([]);
    await findBucket(ctx.sql, bucket);
    return c.json(
      listFolder(await store.withPrefix(bucket, folderPrefix(body.prefix)), folderPrefix(body.prefix), body),
    );
  });

  const download = async (c: Context) => {
    const ref = objectRef(c.req.param("bucket") ?? "", c.req.param("name") ?? "");
    if (!isServiceRole(await callerFor(c))) throw objectNotFound();
    await findBucket(ctx.sql, ref.bucket);
    const { object, bytes } = await store.read(ref);
    return objectResponse(object, bytes, c.req.query("download"));
  };
  app.get("/object/authenticated/:bucket/:name{.+}", download);
  app.get("/object/:bucket/:name{.+}", download);

  app.post("/object/:bucket/:name{.+}", async (c) => {
    const ref = objectRef(c.req.param("bucket"), c.req.param("name"));
    const caller = await callerFor(c);
    if (!isServiceRole(caller)) throw rlsRefused();
    const upsert = c.req.header("x-upsert") === "true";
    return c.json(await receiveUpload(deps, ref, c.req.raw, { upsert, owner: caller.userId }));
  });

  app.delete("/object/:bucket", async (c) => {
    const bucket = checkBucketName(c.req.param("bucket"));
    const caller = await callerFor(c);
    const body = (await c.req.json().catch(() => undefined)) as { prefixes?: unknown } | undefined;
    const prefixes = body?.prefixes;
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
