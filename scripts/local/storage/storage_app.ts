/**
 * The Storage subset of the local stack, mounted at /storage/v1: what storage-js needs for Kiln's flows (signed
 * upload and download URLs, service-role upload, download, remove and list) and the bucket API, with Storage's
 * paths, bodies and error shape. Objects are files under `<dataDir>/storage/<bucket>/<name>` plus storage.objects
 * rows; buckets come from migrations.
 */
import { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { bucketRoutes } from "./bucket_routes.ts";
import { renderError } from "./errors.ts";
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
  bucketRoutes(app, deps);
  // Fastify's answer to a route Storage does not have, which storage-js can parse.
  // Registered last: a catch-all (a mounted app's notFound is not consulted).
  app.all("*", (c) =>
    c.json(
      {
        statusCode: 404,
        error: "Not Found",
        message: `Route ${c.req.method}:${c.req.path.replace(/^\/storage\/v1/, "")} not found`,
      },
      404,
    ),
  );
  return app;
}
