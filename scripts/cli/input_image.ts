/**
 * The input image of img2img and upscale jobs (`--image`): an https URL or an `upload:<id>` goes to the API as
 * it is; a local file is sent through POST /v1/uploads (a signed URL in the `inputs` bucket) and a PUT to that
 * URL, and the job names it as `upload:<id>`. Images never travel as base64 in the job's JSON.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UPLOAD_REF } from "../../shared/job_types/fields.ts";
import type { ApiClient } from "./api_client.ts";
import { CliError, UsageError } from "./cli_io.ts";

/** The content type of a PNG, JPEG or WebP file from its first bytes (extensions lie), or undefined. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return undefined;
}

/** What to put in params for `--image value`: the value itself, or the ref of the uploaded file. */
export async function resolveImage(api: ApiClient, value: string, cwd: string): Promise<string> {
  if (UPLOAD_REF.test(value) || value.startsWith("https://")) return value;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new UsageError(`--image must be a local file or an https URL, not ${value}`);
  }
  const path = resolve(cwd, value);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new CliError(`cannot read --image ${value}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const contentType = sniffImageType(bytes);
  if (!contentType) throw new UsageError(`--image ${value} is not a PNG, JPEG or WebP file`);
  const upload = await api.createUpload(contentType, bytes.length);
  let put: Response;
  try {
    put = await fetch(upload.signed_url, { method: "PUT", headers: { "content-type": contentType }, body: bytes });
  } catch (error) {
    throw new CliError(`uploading ${value} failed: ${(error as Error).message}`);
  }
  if (!put.ok) throw new CliError(`uploading ${value} failed: HTTP ${put.status} ${(await put.text()).slice(0, 200)}`);
  return upload.ref;
}
