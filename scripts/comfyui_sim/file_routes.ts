/**
 * File routes, after ComfyUI's server.py: GET /view serves a file from the input, output or temp folder (404
 * with an empty body when there is none), POST /upload/image stores a multipart upload in a folder and answers
 * `{name, subfolder, type}` with the name it was stored under.
 */

import { mediaTypeOf } from "../../shared/comfyui/media_types.ts";
import { FOLDER_TYPES, type FolderType, isSafePath } from "./file_store.ts";
import { empty, type Handler, json } from "./route_context.ts";

/** server.py's default --max-upload-size, 100 MB. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export const getView: Handler = (req, state) => {
  const q = req.url.searchParams;
  const filename = q.get("filename");
  if (!filename) return empty(404);
  if (filename.startsWith("/") || filename.includes("..")) return empty(400);
  const type = (q.get("type") || "output") as FolderType;
  if (!FOLDER_TYPES.includes(type)) return empty(400);
  const subfolder = q.get("subfolder") ?? "";
  if (!isSafePath(subfolder)) return empty(403);
  const file = state.files.get({ type, subfolder, filename });
  if (!file) return empty(404);
  return {
    status: 200,
    body: file.bytes,
    headers: {
      "content-type": mediaTypeOf(filename) ?? "application/octet-stream",
      "content-length": String(file.bytes.length),
      "content-disposition": `filename="${filename.replaceAll('"', "")}"`,
    },
  };
};

export const postUploadImage: Handler = async (req, state) => {
  const contentType = String(req.headers["content-type"] ?? "");
  if (!contentType.startsWith("multipart/form-data")) return empty(400);
  const bytes = await req.body();
  if (bytes.length > MAX_UPLOAD_BYTES) return empty(413);
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(bytes), { headers: { "content-type": contentType } }).formData();
  } catch {
    return empty(400);
  }
  const image = form.get("image");
  if (!(image instanceof Blob) || !("name" in image) || !image.name) return empty(400);
  const requested = String(form.get("type") ?? "input");
  const type: FolderType = FOLDER_TYPES.includes(requested as FolderType) ? (requested as FolderType) : "input";
  const subfolder = String(form.get("subfolder") ?? "");
  const filename = String(image.name);
  if (!isSafePath(subfolder) || filename.includes("/") || filename === "..") return empty(400);
  const overwrite = ["true", "1"].includes(String(form.get("overwrite") ?? ""));
  const stored = state.files.upload(
    { type, subfolder, filename },
    new Uint8Array(await image.arrayBuffer()),
    overwrite,
  );
  return json({ name: stored.filename, subfolder: stored.subfolder, type: stored.type });
};
