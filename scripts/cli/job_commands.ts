/**
 * The commands about one job, by id: `kiln get` (details, its event log with --events), `kiln cancel`, `kiln
 * outputs` (save its files) and `kiln wait` (follow it to the end, as `submit --wait` does).
 */
import type { Job } from "../../shared/api/job_schema.ts";
import { ApiClient } from "./api_client.ts";
import { type CliIo, EXIT, say, warn } from "./cli_io.ts";
import { type Command, jobIdArgument, parseCommandArgs, printHelp } from "./command_args.ts";
import { readConfig, requireApiKey } from "./config.ts";
import { followJob, outputFolder, reportSaved } from "./follow_job.ts";
import { localTime } from "./list_command.ts";
import { downloadOutputs } from "./output_download.ts";
import { ProgressView } from "./progress_view.ts";

const ONE_JOB = { min: 1, max: 1, names: "the job id" };

function connect(io: CliIo): { api: ApiClient; config: ReturnType<typeof readConfig> } {
  const config = readConfig(io);
  return { api: new ApiClient(config.apiUrl, requireApiKey(config)), config };
}

/** The job as `label  value` lines. */
function describeJob(job: Job): string[] {
  const rows: [string, string | undefined][] = [
    ["type", job.type],
    ["status", new ProgressView(undefined).describe(job)],
    [
      "queue",
      job.status === "queued"
        ? `position ${job.queue.position ?? "–"}, ${job.queue.workers_online} worker(s) online`
        : undefined,
    ],
    ["attempts", `${job.attempts} of ${job.max_attempts}`],
    ["priority", String(job.priority)],
    ["cost", `${job.cost} credits${job.status === "failed" || job.status === "canceled" ? " (refunded)" : ""}`],
    ["params", JSON.stringify(job.params)],
    ["created", localTime(job.created_at)],
    ["started", job.started_at ? localTime(job.started_at) : undefined],
    ["finished", job.finished_at ? localTime(job.finished_at) : undefined],
    ["error", job.error ? `${job.error.code}: ${job.error.message}` : undefined],
    ["outputs", job.outputs?.length ? `${job.outputs.length} (kiln outputs ${job.id})` : undefined],
  ];
  const lines = [`Job ${job.id}`];
  for (const [label, value] of rows) if (value !== undefined) lines.push(`  ${label.padEnd(10)}${value}`);
  for (const event of job.events ?? []) {
    lines.push(`  ${localTime(event.created_at)}  ${event.type}  ${JSON.stringify(event.data)}`);
  }
  return lines;
}

const GET_HELP = `Usage: kiln get <job id> [--events] [--json]

Shows one job (GET /v1/jobs/:id): status, progress, queue position, params, error, outputs.

      --events   add the job's event log
      --json     the API's answer as JSON`;

export const getCommand: Command = {
  name: "get",
  summary: "show one job (--events, --json)",
  help: GET_HELP,
  async run(args, io) {
    const { values, positionals, help } = parseCommandArgs(
      args,
      { events: { type: "boolean" }, json: { type: "boolean" } },
      ONE_JOB,
    );
    if (help) return printHelp(io, GET_HELP);
    const id = jobIdArgument(positionals[0]);
    const { api } = connect(io);
    const job = await api.request<Job>("GET", `/v1/jobs/${id}${values.events ? "?include=events" : ""}`);
    if (values.json) say(io, JSON.stringify(job, null, 2));
    else for (const line of describeJob(job)) say(io, line);
    if (!values.json) for (const warning of job.warnings) warn(io, `warning: ${warning}`);
    return EXIT.ok;
  },
};

const CANCEL_HELP = `Usage: kiln cancel <job id> [--json]

Cancels a job (POST /v1/jobs/:id/cancel): a queued job ends canceled and refunded at once; a running one is asked
to stop and ends when its worker reports. A job that has already ended cannot be canceled (invalid_state).`;

export const cancelCommand: Command = {
  name: "cancel",
  summary: "cancel a queued or running job",
  help: CANCEL_HELP,
  async run(args, io) {
    const { values, positionals, help } = parseCommandArgs(args, { json: { type: "boolean" } }, ONE_JOB);
    if (help) return printHelp(io, CANCEL_HELP);
    const id = jobIdArgument(positionals[0]);
    const job = await connect(io).api.cancelJob(id);
    if (values.json) say(io, JSON.stringify(job, null, 2));
    else if (job.status === "canceled") say(io, `Job ${id} canceled; ${job.cost} credits refunded.`);
    else say(io, `Cancel requested; job ${id} stops when its worker reports (\`kiln wait ${id}\` to see it end).`);
    return EXIT.ok;
  },
};

/** The flags of `outputs` and `wait`: where the outputs go, and JSON instead of text. */
const OUT_AND_JSON = { out: { type: "string", short: "o" }, json: { type: "boolean" } } as const;

const OUTPUTS_HELP = `Usage: kiln outputs <job id> [--out <folder>] [--json]

Saves a job's outputs (GET /v1/jobs/:id/outputs gives signed URLs), checking each file's size and SHA-256.

  -o, --out <folder>   where to save them (default ./kiln-outputs/<job id>)
      --json           print the saved files as JSON`;

export const outputsCommand: Command = {
  name: "outputs",
  summary: "save a job's outputs into a folder",
  help: OUTPUTS_HELP,
  async run(args, io) {
    const { values, positionals, help } = parseCommandArgs(args, OUT_AND_JSON, ONE_JOB);
    if (help) return printHelp(io, OUTPUTS_HELP);
    const id = jobIdArgument(positionals[0]);
    const folder = outputFolder(io, id, values.out);
    const { saved, missing } = await downloadOutputs(connect(io).api, id, folder);
    if (values.json) say(io, JSON.stringify({ job_id: id, files: saved.map((s) => s.file), missing }, null, 2));
    else reportSaved(io, saved, missing, folder);
    return missing.length > 0 ? EXIT.error : EXIT.ok;
  },
};

const WAIT_HELP = `Usage: kiln wait <job id> [--out <folder>] [--json]

Follows a job to the end, as \`kiln submit --wait\` does, then saves its outputs.

  -o, --out <folder>   where outputs go (default ./kiln-outputs/<job id>)
      --json           print the final job and the saved files as JSON

Exit codes: 0 succeeded, 1 API error, 3 failed, 4 canceled, 130 Ctrl-C (the job goes on).`;

export const waitCommand: Command = {
  name: "wait",
  summary: "follow a job to the end and save its outputs",
  help: WAIT_HELP,
  async run(args, io) {
    const { values, positionals, help } = parseCommandArgs(args, OUT_AND_JSON, ONE_JOB);
    if (help) return printHelp(io, WAIT_HELP);
    const id = jobIdArgument(positionals[0]);
    const { api, config } = connect(io);
    const job = await api.getJob(id);
    const result = await followJob(api, config, job, io, { outDir: values.out, json: values.json === true });
    return result.exitCode;
  },
};
