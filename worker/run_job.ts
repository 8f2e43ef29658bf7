/**
 * Runs one claimed job on one ComfyUI instance, through the phases claimed → preparing (input images uploaded,
 * graph built with a random seed unless fixed and the job's own filename_prefix) → waiting_for_gpu (the prompt is in
 * ComfyUI's queue, behind the slot's current job when claimed ahead) → executing (ComfyUI started it; followed over
 * the WebSocket) → uploading (outputs into Storage), and reports how it ended: complete, fail
 * (classified by job_failures.ts), or canceled. From outside, the heartbeat loop can `cancel()` it (its owner
 * asked), `drop()` it (the lease is gone: report nothing), and shutdown can `handBack()` it (retryable
 * `worker_shutdown`); `kill()` stops it dead without a word, as `kill -9` would (tests).
 */
import { buildGraph } from "../shared/comfyui/build_graph.ts";
import type { JobPhase } from "../shared/job_states.ts";
import type { ClaimedJob, Progress } from "../shared/worker_protocol.ts";
import type { BatchedCompletes } from "./batched_completes.ts";
import type { ComfyConnection, PromptEvent } from "./comfy_connection.ts";
import { PromptRun } from "./comfy_prompt.ts";
import { GraphProgress } from "./graph_progress.ts";
import type { InputFetcher } from "./input_fetch.ts";
import type { InputFiles } from "./input_files.ts";
import { asJobFailure, executionFailure, JobFailure } from "./job_failures.ts";
import { graphJobOf, uploadInputs } from "./job_inputs.ts";
import { outputFilesOf, storeOutputs } from "./job_outputs.ts";
import type { Logger } from "./log.ts";
import { isLeaseLost, type ProtocolClient, ProtocolError } from "./protocol_client.ts";

/** How a run ended, from this worker's side. */
export type JobEnd =
  | "succeeded"
  | "failed"
  | "retrying"
  | "canceled"
  | "handed_back"
  | "lease_lost"
  | "dropped"
  | "killed"
  | "unreported";

type StopReason = "cancel" | "drop" | "shutdown" | "kill";

/**
 * Instrumentation points of a successful run, in order: the claim answered, `POST /prompt` answered, `executing
 * {node: null}` seen, each output's Storage PUT sent and answered (once per file), and `complete` answered.
 */
export type JobMark = "claimed" | "prompt_queued" | "comfy_done" | "put_started" | "put_done" | "reported";
/** Called at each mark with `performance.now()`; for measurements only (the bench), it changes nothing. */
export type OnJobMark = (jobId: string, mark: JobMark, atMs: number) => void;

export interface JobRunDeps {
  protocol: ProtocolClient;
  /** Where completions go: they ride together with the worker's other slots' (BatchedCompletes). */
  completes: BatchedCompletes;
  comfy: ComfyConnection;
  /** Downloads input images under the URL policy. */
  inputs: InputFetcher;
  /** The input files in ComfyUI this worker's jobs use, removed when unused (where it shares the filesystem). */
  inputFiles: InputFiles;
  log: Logger;
  /** The checkpoint for jobs that name none. */
  defaultCheckpoint: () => Promise<string | undefined>;
  /** Phase or progress changed: a heartbeat is due (`urgent`: now, it started executing). */
  onChange: (urgent?: boolean) => void;
  /** The prompt is in ComfyUI's queue. */
  onQueued?: () => void;
  now?: () => number;
  /** How long ComfyUI may stay unreachable mid-prompt (default 30 s). */
  lostAfterMs?: number;
  /** How long after an interrupt for a cancel the prompt may take to stop (default 10 s). */
  cancelTimeoutMs?: number;
  /** Instrumentation (bench): called at each mark of the run. */
  onMark?: OnJobMark;
}

export class JobRun {
  readonly job: ClaimedJob;
  phase: JobPhase = "claimed";
  progress: Progress | undefined;
  /** Still to be heartbeated: false once its final report is under way. */
  active = true;
  /** Settles with how the run ended; never rejects. */
  readonly done: Promise<JobEnd>;
  private readonly deps: JobRunDeps;
  private readonly controller = new AbortController();
  private stopReason: StopReason | undefined;
  private cancelRequested = false;
  private prompt: PromptRun | undefined;
  private cancelTimer: ReturnType<typeof setTimeout> | undefined;
  /** The execution clock: started when ComfyUI starts the prompt; aborted (with the failure) when it runs out. */
  private readonly executionClock = new AbortController();
  /** The input files this run put in ComfyUI, released when it ends. */
  private readonly storedInputs: string[] = [];
  private executionTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(job: ClaimedJob, deps: JobRunDeps) {
    this.job = job;
    this.deps = deps;
    this.mark("claimed");
    this.done = Promise.resolve().then(() => this.run());
  }

  /** Whether its prompt is in ComfyUI (queued, running or done): a job queued behind it would follow it there. */
  get inComfy(): boolean {
    return this.phase === "waiting_for_gpu" || this.phase === "executing" || this.phase === "uploading";
  }

  /** Whether ComfyUI has started its prompt. */
  get started(): boolean {
    return this.phase === "executing" || this.phase === "uploading";
  }

  /** The owner asked to cancel: stop preparing, or take the prompt out of ComfyUI; a job already uploading completes. */
  cancel(): void {
    if (this.cancelRequested || !this.active) return;
    this.cancelRequested = true;
    this.deps.log.job(this.job.id, "cancel_requested", { phase: this.phase });
    if (this.phase === "claimed" || this.phase === "preparing") this.stop("cancel");
    else if (this.phase === "waiting_for_gpu" || this.phase === "executing") this.interruptForCancel();
  }

  /** The lease is gone (a heartbeat said held:false): stop, report nothing. */
  drop(why: string): void {
    if (!this.active) return;
    this.deps.log.job(this.job.id, "lease_lost", { why });
    this.stop("drop");
  }

  /** Shutdown's grace period ran out: stop and hand the job back (retryable). */
  handBack(): void {
    if (this.active) this.stop("shutdown");
  }

  /** Stops dead, reporting nothing and leaving ComfyUI alone, like a killed process. */
  kill(): void {
    this.stop("kill");
  }

  private stop(reason: StopReason): void {
    if (this.stopReason === "kill") return;
    this.stopReason = reason;
    this.controller.abort(new Error(`job ${reason}`));
    if (this.prompt && reason !== "kill") void this.deps.comfy.interrupt(this.prompt.promptId);
  }

  private interruptForCancel(): void {
    if (!this.prompt) return;
    // A prompt taken out of ComfyUI's queue (or already gone) sends nothing more: the cancel ends the run now.
    void this.deps.comfy.interrupt(this.prompt.promptId).then((how) => {
      if (how !== "interrupted") this.stop("cancel");
    });
    this.cancelTimer = setTimeout(() => this.stop("cancel"), this.deps.cancelTimeoutMs ?? 10_000);
  }

  /**
   * ComfyUI started the prompt (its first event): from now on it has the job's execution timeout. Past it, ComfyUI
   * is told to stop and the run fails `execution_timeout`, not retryable, without waiting for ComfyUI to answer:
   * a wedged ComfyUI must not hold the job.
   */
  private startExecutionClock(): void {
    const seconds = this.job.execution_timeout_seconds;
    this.executionTimer = setTimeout(() => {
      if (this.prompt) void this.deps.comfy.interrupt(this.prompt.promptId);
      this.deps.log.job(this.job.id, "execution_timeout", { seconds });
      this.executionClock.abort(
        new JobFailure("execution_timeout", `the prompt executed for longer than its ${seconds} s timeout`, false),
      );
    }, seconds * 1000);
  }

  private setPhase(phase: JobPhase): void {
    this.phase = phase;
    this.deps.onChange(phase === "executing");
  }

  private async run(): Promise<JobEnd> {
    const { job, deps } = this;
    const signal = this.controller.signal;
    const started = (deps.now ?? Date.now)();
    deps.log.job(job.id, "claimed", {
      type: job.type,
      attempt: `${job.attempt}/${job.max_attempts}`,
      comfyui: deps.comfy.url,
    });
    try {
      this.setPhase("preparing");
      const inputImages = await uploadInputs(deps.comfy, deps.inputs, job, signal, (path) => {
        deps.inputFiles.acquire(path);
        this.storedInputs.push(path);
      });
      const defaultCheckpoint = await deps.defaultCheckpoint();
      signal.throwIfAborted();
      let built: ReturnType<typeof buildGraph>;
      try {
        built = buildGraph(graphJobOf(job), {
          inputImages,
          workflowGraph: job.workflow?.graph,
          workflowBindings: job.workflow?.bindings,
          defaultCheckpoint,
        });
      } catch (error) {
        throw new JobFailure("invalid_job", `cannot build the job's graph: ${String(error)}`, false);
      }
      const progress = new GraphProgress(built.graph, deps.now);
      this.prompt = new PromptRun(deps.comfy, {
        onEvent: (event) => this.onPromptEvent(event, progress),
        lostAfterMs: deps.lostAfterMs,
      });
      await this.prompt.submit(built.graph);
      this.mark("prompt_queued");
      deps.log.job(job.id, "prompt_queued", { prompt_id: this.prompt.promptId, seed: built.seed });
      // Behind another prompt it waits; a prompt that started already said so (onPromptEvent).
      if (this.phase === "preparing") this.setPhase("waiting_for_gpu");
      deps.onQueued?.();
      if (this.cancelRequested) this.interruptForCancel();
      const outcome = await untilAborted(this.prompt.outcome, AbortSignal.any([signal, this.executionClock.signal]));
      clearTimeout(this.cancelTimer);
      clearTimeout(this.executionTimer);
      if (outcome.kind === "interrupted") {
        if (this.cancelRequested) this.stop("cancel");
        throw new JobFailure("comfyui_interrupted", "the prompt was interrupted in ComfyUI", true);
      }
      if (outcome.kind === "error") throw executionFailure(outcome.error);
      if (outcome.kind === "lost") throw new JobFailure("comfyui_connection_lost", outcome.message, true);
      this.setPhase("uploading");
      this.progress = { value: 1, max: 1, percent: 100 };
      const files = outputFilesOf(outcome.outputs);
      const onPut = deps.onMark && ((mark: JobMark) => this.mark(mark));
      const outputs = await storeOutputs(deps.comfy, deps.protocol, job, files, signal, onPut);
      signal.throwIfAborted();
      this.active = false;
      await this.report(() => deps.completes.complete(job.id, { fencing_token: job.fencing_token, outputs }));
      this.mark("reported");
      deps.log.job(job.id, "succeeded", { outputs: outputs.length, ms: (deps.now ?? Date.now)() - started });
      return "succeeded";
    } catch (error) {
      return await this.ended(error);
    } finally {
      this.active = false;
      clearTimeout(this.cancelTimer);
      clearTimeout(this.executionTimer);
      // A killed run leaves its files, as a killed process would.
      if (this.stopReason !== "kill") void deps.inputFiles.release(this.storedInputs.splice(0));
      this.prompt?.detach();
    }
  }

  /** Reports an attempt that did not succeed, by why it stopped. */
  private async ended(error: unknown): Promise<JobEnd> {
    const { job, deps } = this;
    this.active = false;
    const reason = this.stopReason;
    if (reason === "kill") return "killed";
    if (reason === "drop") return "dropped";
    if (isLeaseLost(error)) {
      deps.log.job(job.id, "lease_lost", { why: String((error as Error).message) });
      return "lease_lost";
    }
    try {
      if (reason === "cancel") {
        await this.report(() => deps.protocol.canceled(job.id, job.fencing_token));
        deps.log.job(job.id, "canceled", { phase: this.phase });
        return "canceled";
      }
      const failure =
        reason === "shutdown"
          ? new JobFailure("worker_shutdown", "the worker shut down before the job finished", true)
          : asJobFailure(error);
      const answer = await this.report(() =>
        deps.protocol.fail(job.id, { fencing_token: job.fencing_token, error: failure.toJobError() }),
      );
      const end: JobEnd =
        reason === "shutdown" ? "handed_back" : answer.job.status === "queued" ? "retrying" : "failed";
      deps.log.job(job.id, end === "retrying" ? "fail_retry" : end, {
        code: failure.code,
        retryable: failure.retryable,
        node: failure.node,
        message: failure.message.slice(0, 300),
      });
      return end;
    } catch (reportError) {
      if (isLeaseLost(reportError)) {
        deps.log.job(job.id, "lease_lost", { why: (reportError as Error).message });
        return "lease_lost";
      }
      deps.log.error(`job ${job.id} could not be reported; its lease will lapse`, { error: String(reportError) });
      return "unreported";
    }
  }

  /** A report, retried on transient errors (no answer, 5xx, 429) with backoff. */
  private async report<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ProtocolError) || !error.retryable || attempt >= 5 || this.stopReason === "kill")
          throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  private mark(mark: JobMark): void {
    this.deps.onMark?.(this.job.id, mark, performance.now());
  }

  private onPromptEvent(event: PromptEvent, progress: GraphProgress): void {
    if (this.executionTimer === undefined) {
      // ComfyUI started the prompt: the GPU is this job's from now on (started_at), and so is its execution clock.
      this.startExecutionClock();
      this.setPhase("executing");
      this.deps.log.job(this.job.id, "executing", { prompt_id: this.prompt?.promptId });
    }
    if (event.type === "executing" && event.data.node === null) this.mark("comfy_done");
    if (!progress.update(event) || this.phase !== "executing") return;
    this.progress = progress.snapshot();
    this.deps.onChange();
  }
}

/** `promise`, or a rejection with the signal's reason once it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}
