/**
 * `kiln jobs`: the caller's jobs, newest first (GET /v1/jobs), as a table or as JSON, one page at a time; the
 * API's cursor for the next page is printed as the command that fetches it.
 */
import type { JobSummary } from "../../shared/api/job_schema.ts";
import { ApiClient } from "./api_client.ts";
import { type CliIo, EXIT, say } from "./cli_io.ts";
import { type Command, numberOption, parseCommandArgs, printHelp } from "./command_args.ts";
import { readConfig, requireApiKey } from "./config.ts";
import { percentOf } from "./progress_view.ts";

const OPTIONS = {
  status: { type: "string", short: "s" },
  type: { type: "string", short: "t" },
  limit: { type: "string", short: "n" },
  cursor: { type: "string" },
  json: { type: "boolean" },
} as const;

const HELP = `Usage: kiln jobs [--status queued,running] [--type txt2img] [--limit 20] [--cursor …] [--json]

Lists your jobs, newest first (GET /v1/jobs).

  -s, --status <list>   only these statuses, comma-separated: queued, running, succeeded, failed, canceled
  -t, --type <type>     only jobs of this type
  -n, --limit <n>       how many (1 to 100, default 20)
      --cursor <c>      the next page, as printed under the table
      --json            the API's answer as JSON ({data, next_cursor})`;

/** A time as `2026-01-05 12:00:01` in the local time zone. */
export function localTime(iso: string | null): string {
  if (!iso) return "–";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** What the PROGRESS column shows: the phase and percent of a running job, the error code of a failed one. */
function progressCell(job: JobSummary): string {
  if (job.status === "running") {
    const percent = percentOf(job);
    return `${job.phase ?? "claimed"}${percent === undefined ? "" : ` ${Math.floor(percent)}%`}`;
  }
  if (job.status === "failed") return job.error?.code ?? "";
  if (job.status === "succeeded") return `${job.outputs?.length ?? 0} output${job.outputs?.length === 1 ? "" : "s"}`;
  return "";
}

/** Rows as aligned columns (the last one unpadded). */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export const jobsCommand: Command = {
  name: "jobs",
  summary: "list your jobs (--status, --type, --limit)",
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, help } = parseCommandArgs(args, OPTIONS);
    if (help) return printHelp(io, HELP);
    const config = readConfig(io);
    const api = new ApiClient(config.apiUrl, requireApiKey(config));
    const page = await api.listJobs({
      status: values.status,
      type: values.type,
      limit: numberOption("limit", values.limit),
      cursor: values.cursor,
    });
    if (values.json) {
      say(io, JSON.stringify(page, null, 2));
      return EXIT.ok;
    }
    if (page.data.length === 0) {
      say(io, "No jobs.");
      return EXIT.ok;
    }
    const rows = page.data.map((job) => [
      job.id,
      job.type,
      job.status,
      progressCell(job),
      String(job.cost),
      localTime(job.created_at),
    ]);
    for (const line of formatTable(["ID", "TYPE", "STATUS", "PROGRESS", "COST", "CREATED"], rows)) say(io, line);
    if (page.next_cursor) {
      const filters = [values.status && `--status ${values.status}`, values.type && `--type ${values.type}`]
        .filter(Boolean)
        .join(" ");
      say(
        io,
        `More: kiln jobs ${filters ? `${filters} ` : ""}--limit ${page.data.length} --cursor ${page.next_cursor}`,
      );
    }
    return EXIT.ok;
  },
};
