/**
 * A job's input images, from the signed URLs the claim gave to ComfyUI's input folder: each is downloaded and
 * sent to `POST /upload/image` into the subfolder `kiln` under its content's hash (input_files.ts: a repeat is the
 * same file), and the graph builder gets the ref → file name map. Downloads go through the URL policy (input_fetch.ts): a refused URL or a 4xx will not get
 * better (not retryable); a network error or 5xx may.
 */
import { imageRefsOf } from "../shared/comfyui/build_graph.ts";
import type { ClaimedJob } from "../shared/worker_protocol.ts";
import type { ComfyConnection } from "./comfy_connection.ts";
import type { InputFetcher } from "./input_fetch.ts";
import { contentName } from "./input_files.ts";
import { JobFailure } from "./job_failures.ts";

/** Where in ComfyUI's input folder Kiln's uploads go. */
const INPUT_SUBFOLDER = "kiln";

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
};

/** The job as the graph builder sees it: a stored workflow's job runs as `workflow`, whatever type it is sold as. */
export function graphJobOf(job: ClaimedJob): ClaimedJob {
  return job.workflow && job.type !== "workflow" ? { ...job, type: "workflow" } : job;
}

/** Uploads every input image of `job` to ComfyUI (`onStored` hears each); returns ref → the name for LoadImage. */
export async function uploadInputs(
  conn: ComfyConnection,
  inputs: InputFetcher,
  job: ClaimedJob,
  signal: AbortSignal,
  onStored: (path: string) => void,
): Promise<Record<string, string>> {
  let refs: string[];
  try {
    refs = imageRefsOf(graphJobOf(job), job.workflow?.bindings);
  } catch (error) {
    throw new JobFailure("invalid_job", `cannot tell the job's input images: ${String(error)}`, false);
  }
  const urls = new Map(job.inputs.map((input) => [input.ref, input.url]));
  const names: Record<string, string> = {};
  for (const ref of refs) {
    const url = urls.get(ref);
    if (!url) throw new JobFailure("input_missing", `the claim gave no URL for input image ${ref}`, false);
    const downloaded = await inputs.download(ref, url, signal);
    const { bytes } = downloaded;
    const contentType = downloaded.contentType in EXTENSIONS ? downloaded.contentType : sniffImageType(bytes);
    const name = await contentName(bytes, EXTENSIONS[contentType] ?? "png");
    names[ref] = await uploadImage(conn, name, bytes, contentType, signal);
    onStored(names[ref]);
  }
  return names;
}

/** The image type from the first bytes, for servers that answer application/octet-stream. */
function sniffImageType(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "image/jpeg";
  if (bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return "image/webp";
  return "image/png";
}

/** POST /upload/image; returns what LoadImage takes (`subfolder/name`, or `name`). */
async function uploadImage(
  conn: ComfyConnection,
  filename: string,
  bytes: Uint8Array<ArrayBuffer>,
  contentType: string,
  signal: AbortSignal,
): Promise<string> {
  const form = new FormData();
  form.append("image", new Blob([bytes], { type: contentType }), filename);
  form.append("type", "input");
  form.append("subfolder", INPUT_SUBFOLDER);
  form.append("overwrite", "true");
  let stored: { name?: unknown; subfolder?: unknown };
  try {
    stored = await conn.json("/upload/image", {
      method: "POST",
      body: form,
      signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]),
    });
  } catch (error) {
    signal.throwIfAborted();
    throw new JobFailure("comfyui_unavailable", `ComfyUI did not take input image ${filename}: ${String(error)}`, true);
  }
  if (typeof stored.name !== "string") {
    throw new JobFailure("comfyui_unavailable", `ComfyUI's answer to /upload/image names no file`, true);
  }
  return typeof stored.subfolder === "string" && stored.subfolder ? `${stored.subfolder}/${stored.name}` : stored.name;
}
