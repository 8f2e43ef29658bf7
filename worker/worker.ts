/**
 * The worker loop, a small class given its dependencies: the protocol client, one slot per ComfyUI connection,
 * the queue wake-ups (optional) and a clock. It registers, then claims whenever a wake-up comes, after every
 * (re)subscribe and on the poll timer (a long-poll claim when there is no Realtime), never more jobs than it has
 * free, healthy slots; each job runs in its slot and heartbeats ride one shared loop. `stop()` claims nothing
 * more, lets running jobs finish within the grace period, hands back the rest and deregisters; `kill()` stops
 * dead without a word (for tests of what a crash leaves behind).
 */
import type { ClaimedJob, Register, Registered } from "../shared/worker_protocol.ts";
import { BatchedCompletes } from "./batched_completes.ts";
import { CancellableWait } from "./cancellable_wait.ts";
import { defaultCheckpointOf } from "./comfy_capabilities.ts";
import type { ComfyConnection } from "./comfy_connection.ts";
import { Heartbeats } from "./heartbeats.ts";
import type { InputFetcher } from "./input_fetch.ts";
import type { InputFiles } from "./input_files.ts";
import type { Logger } from "./log.ts";
import { isTokenRefused, type ProtocolClient } from "./protocol_client.ts";
import type { QueueWakeups } from "./realtime_wakeups.ts";
import { refreshRegistration, registerWorker } from "./register_worker.ts";
import { type JobEnd, JobRun, type OnJobMark } from "./run_job.ts";
import { assignSlots, checkpointOf, loadedModels, type ModelSlot } from "./slot_models.ts";

export interface WorkerOptions {
  jobTypes: string[];
  pollIntervalMs: number;
  shutdownGraceMs: number;
  /** Run one job, then stop. */
  once?: boolean;
  /**
   * Claim each slot's next job while its current one is on the GPU and queue it in ComfyUI, so the GPU starts it the
   * moment the current one ends (default true).
   */
  prefetch?: boolean;
  defaultCheckpoint?: string;
  /** `node 20.x`, `deno 2.x`. */
  runtime: string;
  /** How long ComfyUI may stay unreachable mid-prompt before the job fails (retryable), ms. */
  comfyLostAfterMs?: number;
  /** Instrumentation (the bench): each job's marks, see JobMark. Changes nothing. */
  onJobMark?: OnJobMark;
  /** How often to check whether ComfyUI's models or nodes changed, and register again if so (default 5 min). */
  capabilityRefreshMs?: number;
}

export interface WorkerDeps {
  protocol: ProtocolClient;
  comfy: ComfyConnection[];
  inputs: InputFetcher;
  inputFiles: InputFiles;
  wakeups?: QueueWakeups;
  log: Logger;
  clock?: { now(): number };
}

interface Slot extends ModelSlot {
  conn: ComfyConnection;
  run?: JobRun;
  /** The job claimed ahead, queued in ComfyUI behind `run` (waiting for the GPU). */
  next?: JobRun;
  defaultCheckpoint?: Promise<string | undefined>;
}

export class Worker {
  /** Set once registered. */
  registration: Registered | undefined;
  /** What was registered last, to tell when ComfyUI's models or nodes change. */
  private registered: Register | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private refreshing: Promise<void> | undefined;
  /** How each job this worker ran ended, by job id (the last attempt here). */
  readonly ended = new Map<string, JobEnd>();
  private readonly deps: WorkerDeps;
  private readonly options: WorkerOptions;
  private readonly slots: Slot[];
  private readonly wait = new CancellableWait();
  private readonly now: () => number;
  private heartbeats: Heartbeats | undefined;
  private readonly completes: BatchedCompletes;
  private claimAbort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private halted = false;
  private claimedOnce = false;
  private exitCode = 0;
  private resolveFinished!: (code: number) => void;
  /** Resolves with the process exit code once the worker has stopped: 0, or 1 after a fatal error. */
  readonly finished = new Promise<number>((resolve) => {
    this.resolveFinished = resolve;
  });

  constructor(deps: WorkerDeps, options: WorkerOptions) {
    this.deps = deps;
    this.options = options;
    this.now = deps.clock?.now ?? Date.now;
    this.slots = deps.comfy.map((conn) => ({ conn }));
    this.completes = new BatchedCompletes(deps.protocol);
  }

  /** Held jobs' ids: running, and claimed ahead. */
  get running(): string[] {
    return this.slots.flatMap((s) => [s.run, s.next].flatMap((r) => (r ? [r.job.id] : [])));
  }

  /** Connects to ComfyUI, registers and starts claiming; resolves once registered (rejects if it cannot). */
  async start(): Promise<void> {
    const { log, protocol } = this.deps;
    for (const conn of this.deps.comfy) {
      conn.onState((up, reconnected) => {
        if (!up) return;
        this.wait.wake();
        // A ComfyUI back from a restart may have other models or nodes.
        if (reconnected) this.refreshCapabilities();
      });
    }
    try {
      ({ registered: this.registration, body: this.registered } = await registerWorker(protocol, this.deps.comfy, {
        jobTypes: this.options.jobTypes,
        runtime: this.options.runtime,
        log,
        stopped: () => this.halted,
        sleep: (ms) => this.wait.sleep(ms),
      }));
    } catch (error) {
      if (!this.halted) this.exitCode = 1;
      await this.closeConnections();
      this.resolveFinished(this.exitCode);
      throw error;
    }
    if (this.halted) {
      // stop() came while registering: it found nothing to drain.
      await protocol.deregister().catch(() => undefined);
      await this.closeConnections();
      this.resolveFinished(this.exitCode);
      return;
    }
    const r = this.registration;
    log.info(`registered as ${r.name}`, { worker_id: r.worker_id, slots: this.slots.length, lease_s: r.lease_seconds });
    this.heartbeats = new Heartbeats({ protocol, log, intervalMs: r.heartbeat_interval_ms, now: this.now });
    this.deps.wakeups?.start(r.queue_topic, this.options.jobTypes, () => this.wait.wake());
    this.refreshTimer = setInterval(() => this.refreshCapabilities(), this.options.capabilityRefreshMs ?? 300_000);
    this.refreshTimer.unref?.();
    this.loop = this.claimLoop();
  }

  /** Registers again if what ComfyUI has changed (one refresh at a time; a failure waits for the next). */
  private refreshCapabilities(): void {
    const registered = this.registered;
    if (!registered || this.refreshing || this.halted) return;
    const { log, protocol } = this.deps;
    this.refreshing = refreshRegistration(protocol, this.deps.comfy, { ...this.options, log }, registered)
      .then((now) => {
        this.registered = now;
      })
      .catch((error) => log.warn("refreshing what ComfyUI has failed", { error: String(error) }))
      .finally(() => {
        this.refreshing = undefined;
      });
  }

  /** Stops claiming, waits up to the grace period for running jobs, hands back the rest, deregisters. */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  /** Stops dead: no reports, no deregister, ComfyUI left alone (tests: what `kill -9` leaves behind). */
  async kill(): Promise<void> {
    this.halted = true;
    clearInterval(this.refreshTimer);
    this.claimAbort?.abort();
    this.wait.wake();
    for (const slot of this.slots) {
      slot.run?.kill();
      slot.next?.kill();
    }
    await this.heartbeats?.stop();
    await this.deps.wakeups?.stop();
    await this.closeConnections();
    this.resolveFinished(this.exitCode);
  }

  private async drain(): Promise<void> {
    const { log, protocol } = this.deps;
    log.info("stopping: no more claims");
    this.halted = true;
    clearInterval(this.refreshTimer);
    this.claimAbort?.abort();
    this.wait.wake();
    await this.loop;
    // A job waiting for the GPU has not started: it goes back to the queue now, for another worker.
    for (const slot of this.slots) if (slot.next && !slot.next.started) slot.next.handBack();
    const runs = this.slots.flatMap((s) => [s.run, s.next].flatMap((r) => (r ? [r] : [])));
    if (runs.length > 0) log.info(`${runs.length} running job(s) get ${this.options.shutdownGraceMs} ms to finish`);
    await this.deps.wakeups?.stop();
    const all = Promise.all(runs.map((r) => r.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"grace_over">((resolve) => {
      timer = setTimeout(() => resolve("grace_over"), this.options.shutdownGraceMs);
    });
    if ((await Promise.race([all, graceOver])) === "grace_over") {
      for (const run of runs) run.handBack();
      await all;
    }
    clearTimeout(timer);
    await this.heartbeats?.stop();
    if (this.registration) {
      await protocol.deregister().then(
        () => log.info("deregistered"),
        (error) => log.warn("deregister failed", { error: String(error) }),
      );
    }
    await this.closeConnections();
    log.info("stopped");
    this.resolveFinished(this.exitCode);
  }

  private async claimLoop(): Promise<void> {
    const { log, protocol, wakeups } = this.deps;
    let failures = 0;
    while (!this.halted) {
      const free = this.slots.filter((s) => s.conn.healthy && (!s.run || this.aheadWanted(s)));
      if (free.length === 0 || (this.options.once && this.claimedOnce)) {
        await this.wait.sleep(this.options.pollIntervalMs);
        continue;
      }
      // Without Realtime the claim itself waits for work (the function LISTENs), up to 20 s.
      const waitS = wakeups ? 0 : Math.min(20, Math.max(1, this.options.pollIntervalMs / 1000));
      const started = this.now();
      let jobs: ClaimedJob[];
      this.wait.clear();
      this.claimAbort = new AbortController();
      try {
        const n = this.options.once ? 1 : Math.min(free.length, 64);
        // An aborted long poll may have claimed a job already: its lease lapses and the reaper requeues it.
        const loaded = loadedModels(free);
        jobs = await protocol.claim(
          {
            n,
            wait_s: waitS,
            job_types: this.options.jobTypes,
            ...(loaded.length > 0 ? { loaded_models: loaded } : {}),
          },
          this.claimAbort.signal,
        );
        failures = 0;
      } catch (error) {
        if (this.halted) break;
        if (isTokenRefused(error)) {
          log.error(`the worker token was refused; stopping (${String(error)})`);
          this.exitCode = 1;
          void this.stop();
          break;
        }
        failures++;
        log.warn("claim failed; retrying", { error: String(error) });
        await this.wait.sleep(Math.min(this.options.pollIntervalMs, 250 * 2 ** failures));
        continue;
      }
      for (const [slot, job] of assignSlots(free, jobs)) this.startJob(slot, job);
      if (this.options.once && jobs.length > 0) this.claimedOnce = true;
      if (jobs.length === 0) await this.wait.sleep(this.options.pollIntervalMs - (this.now() - started));
    }
  }

  /** Whether `slot` should claim its next job now: its current one is in ComfyUI, and none is queued behind it. */
  private aheadWanted(slot: Slot): boolean {
    return this.options.prefetch !== false && !this.options.once && !slot.next && slot.run?.inComfy === true;
  }

  private startJob(slot: Slot, job: ClaimedJob): void {
    const heartbeats = this.heartbeats as Heartbeats;
    slot.defaultCheckpoint ??= defaultCheckpointOf(slot.conn, this.options.defaultCheckpoint).then((c) => {
      if (c === undefined) slot.defaultCheckpoint = undefined;
      return c;
    });
    const run = new JobRun(job, {
      protocol: this.deps.protocol,
      completes: this.completes,
      comfy: slot.conn,
      inputs: this.deps.inputs,
      inputFiles: this.deps.inputFiles,
      log: this.deps.log,
      defaultCheckpoint: () => slot.defaultCheckpoint ?? Promise.resolve(undefined),
      onChange: (urgent) => heartbeats.changed(urgent),
      // Its prompt is in ComfyUI: the slot may claim the job to queue behind it.
      onQueued: () => this.wait.wake(),
      now: this.now,
      lostAfterMs: this.options.comfyLostAfterMs,
      onMark: this.options.onJobMark,
    });
    if (slot.run) slot.next = run;
    else slot.run = run;
    void (slot.defaultCheckpoint ?? Promise.resolve(undefined)).then((fallback) => {
      slot.loaded = checkpointOf(job, fallback) ?? slot.loaded;
    });
    heartbeats.add(run);
    void run.done.then((end) => {
      heartbeats.remove(run);
      if (slot.run === run) {
        slot.run = slot.next;
        slot.next = undefined;
      } else if (slot.next === run) {
        slot.next = undefined;
      }
      this.ended.set(job.id, end);
      if (this.options.once && !this.halted) void this.stop();
      this.wait.wake();
    });
  }

  private async closeConnections(): Promise<void> {
    await Promise.all(this.deps.comfy.map((c) => c.close()));
  }
}
