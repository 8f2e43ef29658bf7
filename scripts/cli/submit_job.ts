/**
 * The programmatic core of `kiln submit`: builds the job's params from the options, uploads a local input image,
 * creates the job through POST /v1/jobs with the API key, reports its id, queue position and warnings, and with
 * `wait` follows it to the end and saves its outputs. Tests call `submitAndWait` directly; the command-line
 * front end (submit_command.ts) only turns arguments into SubmitOptions.
 */
import type { Job, JobSummary } from "../../shared/api/job_schema.ts";
import { ApiClient } from "./api_client.ts";
import { type CliIo, EXIT, say, warn } from "./cli_io.ts";
import { readConfig, requireApiKey } from "./config.ts";
import { followJob } from "./follow_job.ts";
import { resolveImage } from "./input_image.ts";
import type { SavedOutput } from "./output_download.ts";
import { currentSession } from "./session_store.ts";

export interface SubmitOptions {
  type: string;
  /** Params as the job type takes them (prompt, negative_prompt, width…); for `workflow` jobs, its inputs. */
  params: Record<string, unknown>;
  /** `--workflow`: the stored workflow a `workflow` job runs. */
  workflowId?: string;
  /** `--image`: a local file (uploaded first), an https URL or `upload:<id>`. */
  image?: string;
  priority?: number;
  wait: boolean;
  /** Where outputs go; default ./kiln-outputs/<job id>. */
  outDir?: string;
  json?: boolean;
  /** Poll interval while Realtime is up (default 3 s). */
  backstopMs?: number;
}

export interface SubmitResult {
  exitCode: number;
  /** The job as created, or its final state when waited for. */
  job: Job | JobSummary | undefined;
  saved: SavedOutput[];
}

/** The body's params: named options, with `image` resolved; for workflow jobs, `{workflow_id, inputs}`. */
async function jobParams(api: ApiClient, options: SubmitOptions, io: CliIo): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = { ...options.params };
  if (options.image !== undefined) values.image = await resolveImage(api, options.image, io.cwd);
  if (options.type !== "workflow") return values;
  const { workflow_id, inputs, ...named } = values;
  return {
    workflow_id: options.workflowId ?? workflow_id,
    inputs: { ...(inputs as Record<string, unknown> | undefined), ...named },
  };
}

/**
 * Prints what the API answered about a new job: id and cost, and warnings on stderr; the queue position too,
 * unless the progress display that follows shows it.
 */
function reportCreated(io: CliIo, job: Job, waiting: boolean): void {
  say(io, `Job ${job.id} ${job.status} (${job.type}, ${job.cost} credits)`);
  if (job.status === "queued" && !waiting) {
    const workers = `${job.queue.workers_online} worker${job.queue.workers_online === 1 ? "" : "s"} online`;
    say(io, `Queue position ${job.queue.position ?? "–"}, ${workers}`);
  }
  for (const warning of job.warnings) warn(io, `warning: ${warning}`);
}

/**
 * Submits a job and, with `options.wait`, follows it to the end and downloads its outputs. Resolves with the
 * exit code (0 succeeded or submitted, 3 failed, 4 canceled, 130 interrupted); throws UsageError for bad options
 * or a missing API key, ApiError for a refusal from the API, CliError for a file that cannot be read or saved.
 */
export async function submitAndWait(options: SubmitOptions, io: CliIo): Promise<SubmitResult> {
  const config = readConfig(io);
  const api = new ApiClient(config.apiUrl, requireApiKey(config));
  // Before the job exists, so that a malformed KILN_ACCESS_TOKEN stops the command with nothing left behind.
  const session = options.wait ? await currentSession(config) : undefined;
  const params = await jobParams(api, options, io);
  const job = await api.createJob({ type: options.type, params, priority: options.priority });
  if (!options.json) reportCreated(io, job, options.wait);
  if (!options.wait) {
    if (options.json) say(io, JSON.stringify(job, null, 2));
    else say(io, `Follow it with \`kiln wait ${job.id}\`; outputs with \`kiln outputs ${job.id}\`.`);
    return { exitCode: EXIT.ok, job, saved: [] };
  }
  return followJob(api, config, job, io, {
    outDir: options.outDir,
    json: options.json === true,
    backstopMs: options.backstopMs,
    session,
  });
}
