/**
 * Waiting for a job and what follows, shared by `kiln submit --wait` and `kiln wait`: progress while it runs,
 * then the outputs saved into a folder (default ./kiln-outputs/<job id>) for a job that succeeded, or its error
 * for one that failed. The exit code says which: 0 succeeded, 3 failed, 4 canceled, 130 stopped by Ctrl-C.
 */
import { join, relative, resolve } from "node:path";
import type { Job, JobSummary } from "../../shared/api/job_schema.ts";
import type { ApiClient } from "./api_client.ts";
import { type CliIo, EXIT, say, warn } from "./cli_io.ts";
import type { CliConfig } from "./config.ts";
import { watchJob } from "./job_watch.ts";
import { describeOutput, downloadOutputs, type SavedOutput } from "./output_download.ts";
import { ProgressView } from "./progress_view.ts";
import { currentSession, type SessionLookup } from "./session_store.ts";

export interface FollowOptions {
  /** Where outputs go; default ./kiln-outputs/<job id>. */
  outDir?: string;
  /** Print one JSON object at the end instead of progress and lines. */
  json: boolean;
  /** Poll interval while Realtime is up (tests stretch it to prove updates came over Realtime). */
  backstopMs?: number;
  /** The session, when the caller looked it up already (submit does, before it creates the job). */
  session?: SessionLookup;
}

export interface FollowResult {
  exitCode: number;
  /** The job's last state seen; undefined only if the wait was stopped before anything was read. */
  job: Job | JobSummary | undefined;
  saved: SavedOutput[];
}

/** The folder outputs of `jobId` go to. */
export function outputFolder(io: CliIo, jobId: string, outDir?: string): string {
  return outDir ? resolve(io.cwd, outDir) : join(io.cwd, "kiln-outputs", jobId);
}

/** Paths as the user typed them: relative to the working folder when inside it. */
export function displayPath(io: CliIo, file: string): string {
  const rel = relative(io.cwd, file);
  return rel && !rel.startsWith("..") ? rel : file;
}

/** Prints the saved files (and the ones that are gone) after a download. */
export function reportSaved(io: CliIo, saved: SavedOutput[], missing: string[], folder: string): void {
  if (saved.length === 0 && missing.length === 0) say(io, "The job has no outputs.");
  if (saved.length > 0)
    say(io, `Saved ${saved.length} output${saved.length === 1 ? "" : "s"} to ${displayPath(io, folder)}:`);
  for (const s of saved) say(io, `  ${displayPath(io, s.file)}  (${describeOutput(s)})`);
  for (const path of missing) warn(io, `warning: ${path} is no longer in storage`);
}

/** Waits for job `initial` to end, shows its progress, saves its outputs; resolves with the exit code. */
export async function followJob(
  api: ApiClient,
  config: CliConfig,
  initial: Job | JobSummary,
  io: CliIo,
  options: FollowOptions,
): Promise<FollowResult> {
  const view = new ProgressView(options.json ? undefined : io.stdout);
  const { session, problem } = options.session ?? (await currentSession(config));
  if (problem) view.note(`Stored session not usable: ${problem}.`);
  let last: Job | JobSummary | undefined = initial;
  view.update(initial);
  const final = await watchJob({
    api,
    config,
    jobId: initial.id,
    session,
    backstopMs: options.backstopMs,
    signal: io.signal,
    onUpdate: (job) => {
      last = job;
      view.update(job);
    },
    onNote: (line) => view.note(line),
  });
  view.finish();
  if (!final) {
    warn(io, `Stopped waiting; job ${initial.id} goes on. Follow it again with \`kiln wait ${initial.id}\`.`);
    return { exitCode: EXIT.interrupted, job: last, saved: [] };
  }
  let saved: SavedOutput[] = [];
  let exitCode: number = EXIT.ok;
  if (final.status === "succeeded") {
    const folder = outputFolder(io, final.id, options.outDir);
    const result = await downloadOutputs(api, final.id, folder);
    saved = result.saved;
    if (!options.json) reportSaved(io, saved, result.missing, folder);
  } else {
    exitCode = final.status === "failed" ? EXIT.jobFailed : EXIT.jobCanceled;
    const error = final.error ? `: ${final.error.code}: ${final.error.message}` : "";
    if (!options.json) warn(io, `Job ${final.id} ${final.status}${error}`);
  }
  if (options.json) say(io, JSON.stringify({ ...final, files: saved.map((s) => s.file) }, null, 2));
  return { exitCode, job: final, saved };
}
