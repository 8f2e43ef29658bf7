/**
 * Shows a job's progress while the client waits. On a terminal, one line redrawn in place: status, phase, a bar,
 * percent, step/max and the time left. Anywhere else (a pipe, a file, CI) the same facts as plain lines, one per
 * change of status or phase and per 10% of progress, each stamped with the seconds since the wait began.
 */
import type { Job, JobSummary } from "../../shared/api/job_schema.ts";
import type { OutputStream } from "./cli_io.ts";

const BAR_WIDTH = 24;

/** Seconds as `4s`, `1m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The job's progress in percent (across the graph), or undefined before any. */
export function percentOf(job: JobSummary): number | undefined {
  const p = job.progress;
  if (!p) return undefined;
  const percent = typeof p.percent === "number" ? p.percent : p.max > 0 ? (p.value / p.max) * 100 : undefined;
  return percent === undefined ? undefined : Math.min(100, Math.max(0, percent));
}

export class ProgressView {
  readonly #out: OutputStream | undefined;
  readonly #tty: boolean;
  readonly #started = Date.now();
  #lastKey = "";
  #drawn = false;
  #position: number | null = null;
  #workersOnline: number | undefined;
  /** Where the current attempt's progress was first seen, for an ETA when the worker sends none. */
  #rateStart: { at: number; percent: number; attempt: number } | undefined;

  /** `out` undefined: silent (--json). */
  constructor(out: OutputStream | undefined) {
    this.#out = out;
    this.#tty = out?.isTTY === true;
  }

  /** Shows `job`'s state: redraws the bar, or prints a line when something worth a line changed. */
  update(job: Job | JobSummary): void {
    if ("queue" in job) {
      this.#position = job.queue.position;
      this.#workersOnline = job.queue.workers_online;
    }
    if (!this.#out) return;
    const line = this.describe(job);
    if (this.#tty) {
      const width = Math.max(20, (this.#out.columns ?? 100) - 1);
      this.#out.write(`\r\x1b[2K${line.slice(0, width)}`);
      this.#drawn = true;
      return;
    }
    const percent = percentOf(job);
    const key = [
      job.status,
      job.phase,
      job.attempts,
      job.cancel_requested,
      this.#position,
      percent === undefined ? "" : Math.floor(percent / 10),
    ].join("|");
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    const elapsed = ((Date.now() - this.#started) / 1000).toFixed(1).padStart(6);
    this.#out.write(`[${elapsed}s] ${line}\n`);
  }

  /** Prints a line without breaking the bar (it is redrawn by the next update). */
  note(line: string): void {
    if (!this.#out) return;
    this.finish();
    this.#out.write(`${line}\n`);
  }

  /** Ends the bar's line, so what follows starts on a line of its own. */
  finish(): void {
    if (this.#drawn) this.#out?.write("\n");
    this.#drawn = false;
  }

  /** One line about the job: `running · executing [████░░░░] 42% · step 9/20 · ETA 4s`. */
  describe(job: JobSummary): string {
    const parts: string[] = [job.status];
    if (job.status === "queued") {
      if (this.#position !== null) parts.push(`position ${this.#position}`);
      if (this.#workersOnline === 0) parts.push("no worker online");
    }
    if (job.status === "running") {
      parts.push((job.phase ?? "claimed").replaceAll("_", " "));
      const percent = percentOf(job);
      if (percent !== undefined) {
        const filled = Math.round((percent / 100) * BAR_WIDTH);
        const bar = this.#tty ? `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}] ` : "";
        parts[parts.length - 1] += ` ${bar}${Math.floor(percent)}%`;
        if (job.progress) parts.push(`step ${job.progress.value}/${job.progress.max}`);
        const eta = this.#eta(job, percent);
        if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
      }
    }
    if (job.attempts > 1 && job.status !== "succeeded") parts.push(`attempt ${job.attempts}/${job.max_attempts}`);
    if (job.cancel_requested && job.status === "running") parts.push("cancel requested");
    if (job.finished_at) parts.push(`in ${formatDuration(Date.parse(job.finished_at) - Date.parse(job.created_at))}`);
    return parts.join(" · ");
  }

  /** The worker's ETA if it sends one, else one from the rate of progress seen in this attempt. */
  #eta(job: JobSummary, percent: number): number | undefined {
    const sent = job.progress?.eta_ms;
    if (typeof sent === "number") return sent;
    const now = Date.now();
    if (!this.#rateStart || this.#rateStart.attempt !== job.attempts || percent < this.#rateStart.percent) {
      this.#rateStart = { at: now, percent, attempt: job.attempts };
      return undefined;
    }
    const gained = percent - this.#rateStart.percent;
    if (gained <= 0) return undefined;
    return ((100 - percent) * (now - this.#rateStart.at)) / gained;
  }
}
