/**
 * The Storage subset of the local stack, mounted at /storage/v1: what storage-js needs for Kiln's flows (signed
 * upload and download URLs, service-role upload, download, remove and list, and reading buckets), with Storage's
 * paths, bodies and error shape. Objects are files under `<dataDir>/storage/<bucket>/<name>` plus storage.objects
 * rows; buckets come from migrations.
 */
import { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { findBucket, listBuckets } from "./buckets.ts";
import { callerOf, isServiceRole } from "./caller.ts";
import { bucketNotFound, renderError } from "./errors.ts";
import { objectRoutes } from "./object_routes.ts";
import { ObjectStore } from "./object_store.ts";
import { signedRoutes } from "./signed_routes.ts";

/** The Storage app over the stack's database and data folder. */
export function storageApp(ctx: StackContext): Hono {
  const app = new Hono();
  const deps = { ctx, store: new ObjectStore(ctx.sql, ctx.dataDir) };
  app.onError(renderError);
  signedRoutes(app, deps);
  objectRoutes(app, deps);

  // Buckets, read-only: RLS on storage.buckets shows none to callers other than the service role.
  app.get("/bucket", async (c) => {
    const caller = await callerOf(ctx.keys, c.req.header("authorization"));
    return c.json(isServiceRole(caller) ? await listBuckets(ctx.sql) : []);
  });
  app.get("/bucket/:id", async (c) => {
    const caller = await callerOf(ctx.keys, c.req.header("authorization"));
    if (!isServiceRole(caller)) throw bucketNotFound();
    return c.json(await findBucket(ctx.sql, c.req.param("id")));
  });
  return app;
}
