/**
 * A finished prompt's files into Storage: every file its history lists under an output node (images, and gifs,
 * videos or audio when present; `type: output` only, not temp previews) is fetched via `/view`, described (size,
 * SHA-256 with crypto.subtle, width/height from a PNG's IHDR) and PUT to a signed upload URL the workers
 * function gives, with its content type. Returns the `outputs` of the complete report.
 */

import { mediaTypeOf } from "../shared/comfyui/media_types.ts";
import type { ClaimedJob, OutputFile } from "../shared/worker_protocol.ts";
import type { ComfyConnection } from "./comfy_connection.ts";
import { JobFailure } from "./job_failures.ts";
import type { ProtocolClient } from "./protocol_client.ts";

export interface ComfyFile {
  node: string;
  filename: string;
  subfolder: string;
  type: string;
}

/** The output files in a history entry's `outputs` ({node: {images: [...], gifs: [...], …}}). */
export function outputFilesOf(outputs: Record<string, Record<string, unknown>>): ComfyFile[] {
  const files: ComfyFile[] = [];
  for (const [node, output] of Object.entries(outputs)) {
    for (const list of Object.values(output ?? {})) {
      if (!Array.isArray(list)) continue;
      for (const item of list as Array<Record<string, unknown>>) {
        if (typeof item?.filename !== "string" || (item.type ?? "output") !== "output") continue;
        files.push({ node, filename: item.filename, subfolder: String(item.subfolder ?? ""), type: "output" });
      }
    }
  }
  return files;
}

/** Width and height from a PNG's IHDR chunk; undefined for anything else. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR") return undefined;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** Hex SHA-256 with the Web Crypto API. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Unique upload names made of letters, digits, _ . - (the protocol's FileName). */
function uploadNames(files: ComfyFile[]): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    const base =
      file.filename
        .replace(/[^\w.-]/g, "_")
        .replace(/^[^\w]+/, "")
        .slice(-150) || "output";
    let name = used.has(base) ? `${file.node.replace(/\W/g, "_")}_${base}` : base;
    for (let n = 2; used.has(name); n++) name = `${n}_${base}`;
    used.add(name);
    return name;
  });
}

/**
 * Fetches, describes and uploads every file; returns the outputs to complete the job with. `onPut` (bench
 * instrumentation) is told when each Storage PUT is sent and answered.
 */
export async function storeOutputs(
  conn: ComfyConnection,
  protocol: ProtocolClient,
  job: ClaimedJob,
  files: ComfyFile[],
  signal: AbortSignal,
  onPut?: (mark: "put_started" | "put_done") => void,
): Promise<OutputFile[]> {
  if (files.length === 0) throw new JobFailure("no_outputs", "the graph finished without saving any file", false);
  const names = uploadNames(files);
  const askForUrls = (types: string[]) =>
    protocol.uploads(job.id, {
      fencing_token: job.fencing_token,
      files: types.map((type, i) => ({ name: names[i], content_type: type })),
    });
  // When every extension names its type, the URLs are asked for while the files download; else once /view has
  // answered. It saves the shorter of the download and the uploads round trip: for a remote Kiln and big outputs,
  // tens of ms; in the bench (a 64×64 PNG, all on loopback) under 1 ms, within the noise.
  const byExtension = files.map((f) => mediaTypeOf(f.filename));
  const early = byExtension.every((t) => t !== undefined) ? askForUrls(byExtension as string[]) : undefined;
  early?.catch(() => {}); // awaited below; a download failing first must not leave it unhandled
  const fetched = [];
  for (const file of files) fetched.push({ file, ...(await fetchFile(conn, file, signal)) });
  const { uploads } = await (early ?? askForUrls(fetched.map((f) => f.contentType)));
  const outputs: OutputFile[] = [];
  for (const [i, f] of fetched.entries()) {
    const target = uploads.find((u) => u.name === names[i]) ?? uploads[i];
    if (!target) throw new JobFailure("upload_failed", `no upload URL was given for ${names[i]}`, true);
    let response: Response;
    onPut?.("put_started");
    try {
      response = await fetch(target.signed_url, {
        method: "PUT",
        headers: { "content-type": f.contentType },
        body: f.bytes,
        signal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]),
      });
    } catch (error) {
      signal.throwIfAborted();
      throw new JobFailure("upload_failed", `uploading ${names[i]} failed: ${String(error)}`, true);
    }
    const text = await response.text().catch(() => "");
    onPut?.("put_done");
    if (!response.ok) {
      throw new JobFailure(
        "upload_failed",
        `uploading ${names[i]} answered ${response.status}: ${text.slice(0, 200)}`,
        true,
      );
    }
    const size = pngSize(f.bytes);
    outputs.push({
      path: target.path,
      content_type: f.contentType,
      size: f.bytes.byteLength,
      sha256: await sha256Hex(f.bytes),
      ...(size ?? {}),
      node: f.file.node.slice(0, 100),
    });
  }
  return outputs;
}

async function fetchFile(
  conn: ComfyConnection,
  file: ComfyFile,
  signal: AbortSignal,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; contentType: string }> {
  let response: Response;
  try {
    response = await fetch(conn.viewUrl(file.filename, file.subfolder, file.type), {
      signal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]),
    });
  } catch (error) {
    signal.throwIfAborted();
    throw new JobFailure("comfyui_unavailable", `could not fetch output ${file.filename}: ${String(error)}`, true);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new JobFailure("output_missing", `ComfyUI /view of ${file.filename} answered ${response.status}`, true);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const header = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const contentType =
    mediaTypeOf(file.filename) ??
    (header && header !== "application/octet-stream" ? header : "application/octet-stream");
  return { bytes, contentType };
}
