/**
 * Saves a job's outputs into a folder: GET /v1/jobs/:id/outputs gives fresh signed URLs, each file is streamed to
 * disk and checked against the size and SHA-256 the worker recorded. A file is written under a temporary name
 * and renamed when complete, so a broken download never leaves a plausible-looking image behind.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { ApiClient, JobOutputs } from "./api_client.ts";
import { CliError } from "./cli_io.ts";

type SignedOutput = JobOutputs["outputs"][number];

export interface SavedOutput {
  /** Where the file was written. */
  file: string;
  size: number;
  output: SignedOutput;
}

/** A file name for each output: the last part of its path, made unique within the job. */
function fileNames(outputs: SignedOutput[]): string[] {
  const seen = new Map<string, number>();
  return outputs.map((o, i) => {
    const name = basename(o.path) || `output_${i + 1}`;
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    if (count === 0) return name;
    const dot = name.lastIndexOf(".");
    return dot > 0 ? `${name.slice(0, dot)}_${count + 1}${name.slice(dot)}` : `${name}_${count + 1}`;
  });
}

async function download(output: SignedOutput, url: string, file: string): Promise<number> {
  const response = await fetch(url).catch((error: Error) => {
    throw new CliError(`downloading ${output.path} failed: ${error.message}`);
  });
  if (!response.ok || !response.body) throw new CliError(`downloading ${output.path} failed: HTTP ${response.status}`);
  const hash = createHash("sha256");
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const partial = `${file}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream), measure, createWriteStream(partial));
    if (output.size !== undefined && output.size !== size) {
      throw new CliError(`${output.path}: got ${size} bytes, the job recorded ${output.size}`);
    }
    const sha256 = hash.digest("hex");
    if (output.sha256 && output.sha256 !== sha256) throw new CliError(`${output.path}: SHA-256 does not match`);
    await rename(partial, file);
    return size;
  } catch (error) {
    await rm(partial, { force: true });
    throw error instanceof CliError ? error : new CliError(`saving ${output.path} failed: ${(error as Error).message}`);
  }
}

/** Downloads every output of job `jobId` into `folder` (created if needed); files that are gone are reported. */
export async function downloadOutputs(
  api: ApiClient,
  jobId: string,
  folder: string,
): Promise<{ saved: SavedOutput[]; missing: string[] }> {
  const { outputs } = await api.jobOutputs(jobId);
  const names = fileNames(outputs);
  const saved: SavedOutput[] = [];
  const missing: string[] = [];
  if (outputs.length > 0) await mkdir(folder, { recursive: true });
  for (const [i, output] of outputs.entries()) {
    if (!output.url) {
      missing.push(output.path);
      continue;
    }
    const file = join(folder, names[i]);
    saved.push({ file, size: await download(output, output.url, file), output });
  }
  return { saved, missing };
}

/** `512×512 image/png, 34.5 KB` for the line that names a saved file. */
export function describeOutput(saved: SavedOutput): string {
  const o = saved.output;
  const size = saved.size < 1024 ? `${saved.size} B` : `${(saved.size / 1024).toFixed(1)} KB`;
  const dimensions = o.width && o.height ? `${o.width}×${o.height} ` : "";
  return `${dimensions}${o.content_type ?? ""}${o.content_type ? ", " : ""}${size}`;
}
