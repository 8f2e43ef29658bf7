/**
 * POST /v1/uploads: a signed URL to PUT one input image to (bucket `inputs`, `<owner>/uploads/<id>`), so
 * images never travel as base64 in JSON. Jobs then name it as `upload:<id>` (img2img and upscale `image`,
 * workflow inputs of type image).
 */
import { z } from "@hono/zod-openapi";
import { strictObject } from "../../../../shared/api/strict_object.ts";
import { INPUTS_BUCKET, uploadPath } from "../../_shared/storage/buckets.ts";
import { type ObjectStorage, UPLOAD_URL_LIFETIME_SECONDS } from "../../_shared/storage/object_storage.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";

const CONTENT_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
/** The `inputs` bucket's file size limit (supabase/migrations/…_storage_buckets.sql). */
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

const Body = strictObject(
  {
    content_type: z
      .enum(CONTENT_TYPES, { error: `content_type must be one of: ${CONTENT_TYPES.join(", ")}` })
      .openapi({ description: "Send the same Content-Type with the PUT.", example: "image/png" }),
    size: z
      .int({ error: `size must be a whole number of bytes from 1 to ${MAX_UPLOAD_BYTES} (20 MB)` })
      .min(1)
      .max(MAX_UPLOAD_BYTES)
      .optional()
      .openapi({ description: "The file's size in bytes, checked against the limit before you upload." }),
  },
  "the body",
).openapi("CreateUpload");

const Upload = z
  .object({
    upload_id: z.uuid(),
    ref: z.string().openapi({ description: "What to put in job params.", example: "upload:0b7e4f3c-…" }),
    path: z.string().openapi({ description: "Object path in the `inputs` bucket." }),
    signed_url: z.string().openapi({ description: "PUT the file here (no Authorization needed)." }),
    token: z.string().openapi({ description: "The upload token (storage-js `uploadToSignedUrl`)." }),
    expires_at: z.iso.datetime(),
  })
  .openapi("Upload");

export function registerUploadsCreate(app: ApiApp, deps: ApiDeps, storage: ObjectStorage): void {
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:write" },
    {
      method: "post",
      path: "/v1/uploads",
      tags: ["Jobs"],
      summary: "Get a signed URL to upload an input image",
      request: { body: { required: true, content: { "application/json": { schema: Body } } } },
      responses: {
        201: {
          description: "Where to PUT the image, and how to refer to it.",
          content: { "application/json": { schema: Upload } },
        },
      },
      errors: ["unsupported_media_type"],
    },
  );
  app.openapi(route, async (c) => {
    const id = crypto.randomUUID();
    const path = uploadPath(c.get("principal").userId, id);
    const signed = await storage.signUpload(INPUTS_BUCKET, path);
    return c.json(
      {
        upload_id: id,
        ref: `upload:${id}`,
        path,
        signed_url: signed.url,
        token: signed.token,
        expires_at: new Date(Date.now() + UPLOAD_URL_LIFETIME_SECONDS * 1000).toISOString(),
      },
      201,
    );
  });
}
