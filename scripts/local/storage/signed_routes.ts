/**
 * Signed URLs: issuing them (service role only here, since no storage.objects policy lets anyone else) and using
 * them (the token alone is the credential: no Authorization needed, as with Storage).
 *   POST /object/upload/sign/:bucket/:name  → {url: "/object/upload/sign/<bucket>/<name>?token=…", token}
 *   PUT  /object/upload/sign/:bucket/:name?token=…  → {Id, Key}
 *   POST /object/sign/:bucket/:name {expiresIn}  → {signedURL: "/object/sign/<bucket>/<name>?token=…"}
 *   POST /object/sign/:bucket {expiresIn, paths}  → [{error, path, signedURL}]
 *   GET  /object/sign/:bucket/:name?token=…[&download=…]  → the bytes
 */
import type { Context, Hono } from "hono";
import { findBucket } from "./buckets.ts";
import { callerOf, isServiceRole } from "./caller.ts";
import { badRequest, duplicate, objectNotFound, rlsRefused } from "./errors.ts";
import { checkBucketName, type ObjectRef, objectRef } from "./object_keys.ts";
import { readJson } from "./request_json.ts";
import { signDownloadToken, signedPath, signUploadToken, verifySigned } from "./signed_urls.ts";
import { objectResponse, receiveUpload, type StorageDeps } from "./transfers.ts";

const refOf = (c: Context): ObjectRef => objectRef(c.req.param("bucket") ?? "", c.req.param("name") ?? "");

function tokenOf(c: Context): string {
  const token = c.req.query("token");
  if (token === undefined) throw badRequest("querystring must have required property 'token'");
  return token;
}

/** The JSON body of a sign request, with `expiresIn` checked as Storage's schema checks it. */
async function signBody(c: Context): Promise<{ expiresIn: number; paths?: unknown }> {
  const body = await readJson(c);
  if (!Number.isInteger(body.expiresIn) || (body.expiresIn as number) < 1) {
    throw badRequest("body/expiresIn must be an integer >= 1");
  }
  return { expiresIn: body.expiresIn as number, paths: body.paths };
}

/** Registers the signed-URL routes on `app`; before the plain object routes, whose paths they would shadow. */
export function signedRoutes(app: Hono, deps: StorageDeps): void {
  const { ctx, store } = deps;

  app.post("/object/upload/sign/:bucket/:name{.+}", async (c) => {
    const ref = refOf(c);
    const caller = await callerOf(ctx.keys, c.req.header("authorization"));
    if (!isServiceRole(caller)) throw rlsRefused();
    await findBucket(ctx.sql, ref.bucket);
    const upsert = c.req.header("x-upsert") === "true";
    if (!upsert && (await store.find(ref))) throw duplicate();
    const token = await signUploadToken(ctx.keys, ref, { upsert, owner: caller.userId });
    return c.json({ url: signedPath("upload/sign", ref, token), token });
  });

  app.put("/object/upload/sign/:bucket/:name{.+}", async (c) => {
    const ref = refOf(c);
    const grant = await verifySigned(ctx.keys, tokenOf(c), ref, "upload");
    return c.json(await receiveUpload(deps, ref, c.req.raw, grant));
  });

  app.post("/object/sign/:bucket/:name{.+}", async (c) => {
    const ref = refOf(c);
    const caller = await callerOf(ctx.keys, c.req.header("authorization"));
    const { expiresIn } = await signBody(c);
    if (!isServiceRole(caller)) throw objectNotFound();
    await findBucket(ctx.sql, ref.bucket);
    if (!(await store.find(ref))) throw objectNotFound();
    return c.json({ signedURL: signedPath("sign", ref, await signDownloadToken(ctx.keys, ref, expiresIn)) });
  });

  app.post("/object/sign/:bucket", async (c) => {
    const bucket = checkBucketName(c.req.param("bucket"));
    const caller = await callerOf(ctx.keys, c.req.header("authorization"));
    const { expiresIn, paths } = await signBody(c);
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string")) {
      throw badRequest("body must have required property 'paths'");
    }
    const results = [];
    for (const path of paths as string[]) {
      const ref = { bucket, name: path };
      const found = isServiceRole(caller) && (await store.find(ref));
      const token = found ? await signDownloadToken(ctx.keys, ref, expiresIn) : undefined;
      results.push({
        error: token ? null : "Either the object does not exist or you do not have access to it",
        path,
        signedURL: token ? signedPath("sign", ref, token) : null,
      });
    }
    return c.json(results);
  });

  app.get("/object/sign/:bucket/:name{.+}", async (c) => {
    const ref = refOf(c);
    await verifySigned(ctx.keys, tokenOf(c), ref, "download");
    const { object, bytes } = await store.read(ref);
    return objectResponse(object, bytes, c.req.query("download"));
  });
}
