/**
 * The heartbeat loop: one `heartbeat` call carries every running job (its phase and progress). A call goes out
 * when something changed, but at most every `minGapMs` (500 ms; a job that starts executing goes at once, since the
 * server stamps started_at on arrival), and at least every `intervalMs` (what register
 * answered) while jobs run, so leases never lapse. Each answer is acted on per job: `cancel_requested` cancels
 * the run; `held: false` drops it (someone else holds it now; nothing more is reported).
 */
import type { HeartbeatRequest } from "../shared/worker_protocol.ts";
import type { Logger } from "./log.ts";
import type { ProtocolClient } from "./protocol_client.ts";
import type { JobRun } from "./run_job.ts";

export interface HeartbeatOptions {
  protocol: ProtocolClient;
  log: Logger;
  intervalMs: number;
  minGapMs?: number;
  now?: () => number;
}

export class Heartbeats {
  private readonly runs = new Set<JobRun>();
  private readonly options: HeartbeatOptions;
  private readonly now: () => number;
  private lastSent = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private sending: Promise<void> | undefined;
  private changedWhileSending = false;
  private urgentWhileSending = false;
  private stopped = false;
  private failures = 0;

  constructor(options: HeartbeatOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  set intervalMs(ms: number) {
    this.options.intervalMs = ms;
  }

  add(run: JobRun): void {
    this.runs.add(run);
    this.changed();
  }

  remove(run: JobRun): void {
    this.runs.delete(run);
  }

  /** A run's phase or progress changed: send soon (respecting the minimum gap), or now when `urgent`. */
  changed(urgent = false): void {
    if (this.stopped) return;
    if (this.sending) {
      this.changedWhileSending = true;
      this.urgentWhileSending ||= urgent;
      return;
    }
    this.schedule(urgent ? this.now() : Math.max(this.now(), this.lastSent + (this.options.minGapMs ?? 500)));
  }

  /** Stops sending; waits for a call under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sending;
  }

  private schedule(at: number): void {
    if (this.stopped || at >= this.timerDue) return;
    clearTimeout(this.timer);
    this.timerDue = at;
    this.timer = setTimeout(
      () => {
        this.timerDue = Number.POSITIVE_INFINITY;
        this.sending = this.send().finally(() => {
          this.sending = undefined;
          if (this.stopped) return;
          if (this.changedWhileSending) {
            const urgent = this.urgentWhileSending;
            this.changedWhileSending = false;
            this.urgentWhileSending = false;
            this.changed(urgent);
          }
          const backoff = this.failures > 0 ? Math.min(this.options.intervalMs, 500 * 2 ** this.failures) : Infinity;
          if (this.runs.size > 0)
            this.schedule(Math.min(this.lastSent + this.options.intervalMs, this.now() + backoff));
        });
      },
      Math.max(0, at - this.now()),
    );
  }

  private async send(): Promise<void> {
    const runs = [...this.runs].filter((r) => r.active);
    if (runs.length === 0) return;
    const body: HeartbeatRequest = {
      jobs: runs.slice(0, 64).map((r) => ({
        id: r.job.id,
        fencing_token: r.job.fencing_token,
        phase: r.phase,
        ...(r.progress ? { progress: r.progress } : {}),
      })),
    };
    this.lastSent = this.now();
    try {
      const answer = await this.options.protocol.heartbeat(body);
      this.failures = 0;
      for (const result of answer.jobs) {
        const run = runs.find((r) => r.job.id === result.id);
        if (!run) continue;
        if (!result.held) run.drop(`${result.code}: ${result.message}`);
        else if (result.cancel_requested) run.cancel();
      }
    } catch (error) {
      this.failures++;
      this.options.log.warn("heartbeat failed; retrying", { error: String(error), jobs: runs.length });
    }
  }
}
