/**
 * The file in an upload request, as storage-js sends it: multipart form data (a Blob or File body: fields
 * `cacheControl`, optional `metadata`/`contentType`, and the file under the empty name) or the raw bytes with
 * `content-type` and `cache-control` headers. Reading stops keeping bytes past the size limit (the rest is drained,
 * so the client reads the refusal instead of a reset connection).
 */
import { badRequest, entityTooLarge, noContent } from "./errors.ts";

const fromBase64 = (value: string | null) => (value ? Buffer.from(value, "base64").toString("utf8") : null);

export interface IncomingFile {
  bytes: Uint8Array<ArrayBuffer>;
  /** What Storage keeps as `metadata.mimetype`: the part's or the request's content type, unparsed. */
  mimeType: string;
  cacheControl: string;
  /** The uploader's own metadata (storage-js's `metadata` option), kept as storage.objects.user_metadata. */
  userMetadata: Record<string, unknown> | null;
}

/** Custom metadata as storage-js sends it: JSON, base64-encoded in the `x-metadata` header for raw bodies. */
function parseMetadata(json: string | null): Record<string, unknown> | null {
  if (!json) return null;
  try {
    const value = JSON.parse(json);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // answered below
  }
  throw badRequest("metadata must be a JSON object");
}

/** Room for multipart boundaries and the small fields next to the file. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** Reads the uploaded file of `request`; EntityTooLarge (413) past `limit` bytes of file. */
export async function readUpload(request: Request, limit: number): Promise<IncomingFile> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.startsWith("multipart/form-data")) {
    return {
      bytes: await readCapped(request.body, limit),
      mimeType: contentType || "application/octet-stream",
      cacheControl: request.headers.get("cache-control") ?? "no-cache",
      userMetadata: parseMetadata(fromBase64(request.headers.get("x-metadata"))),
    };
  }
  const raw = await readCapped(request.body, limit + MULTIPART_OVERHEAD);
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw noContent();
  }
  const file = [...form.values()].find((value): value is File => typeof value !== "string");
  if (!file) throw noContent();
  if (file.size > limit) throw entityTooLarge();
  const cacheTime = form.get("cacheControl");
  const declared = form.get("contentType");
  return {
    bytes: new Uint8Array(await file.arrayBuffer()),
    mimeType: (typeof declared === "string" && declared) || file.type || "application/octet-stream",
    cacheControl: typeof cacheTime === "string" && cacheTime ? `max-age=${cacheTime}` : "no-cache",
    userMetadata: parseMetadata(typeof form.get("metadata") === "string" ? (form.get("metadata") as string) : null),
  };
}

/** The whole body, or EntityTooLarge once it passes `cap` bytes (after draining what is left). */
async function readCapped(body: ReadableStream<Uint8Array> | null, cap: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size <= cap) chunks.push(read.value);
  }
  if (size > cap) throw entityTooLarge();
  return Buffer.concat(chunks);
}
