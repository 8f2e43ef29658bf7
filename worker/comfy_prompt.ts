/**
 * One prompt in ComfyUI, followed the safe way: listeners attached before `POST /prompt` (with a prompt_id
 * chosen here and the socket's client_id), every event filtered by prompt_id, completion on `executing
 * {node: null}` confirmed by `GET /history/{id}` (whose status says success, error or interrupt). The id followed
 * is the one the POST answers with: servers older than 0.3.44 ignore the client's and run the prompt under their
 * own; events that arrive while the POST is out are held and replayed once the id is known. The socket
 * may drop meanwhile: after each reconnect the history is checked, then the queue; a prompt in neither is lost,
 * and so is one whose ComfyUI stays unreachable for `lostAfterMs`.
 */
import type { ComfyGraph } from "../shared/comfyui/graph.ts";
import { type ComfyConnection, ComfyHttpError, type PromptEvent } from "./comfy_connection.ts";
import { JobFailure, validationFailure } from "./job_failures.ts";

export type PromptOutcome =
  | { kind: "success"; outputs: Record<string, Record<string, unknown>> }
  | { kind: "error"; error: Record<string, unknown> }
  | { kind: "interrupted" }
  | { kind: "lost"; message: string };

interface HistoryEntry {
  outputs?: Record<string, Record<string, unknown>>;
  status?: { status_str?: string; completed?: boolean; messages?: Array<[string, Record<string, unknown>]> };
}

export interface PromptRunOptions {
  /** Called with each event of this prompt. */
  onEvent?: (event: PromptEvent) => void;
  /** How long ComfyUI may stay unreachable before the prompt counts as lost (default 30 s). */
  lostAfterMs?: number;
}

export class PromptRun {
  /** The id ComfyUI runs the prompt under: the one chosen here, or the server's own (see above). */
  promptId: string = crypto.randomUUID();
  /** Events seen while `POST /prompt` is out, before the id is certain. */
  private early: PromptEvent[] | undefined = [];
  /** Settles once with how the prompt ended. */
  readonly outcome: Promise<PromptOutcome>;
  private settle!: (outcome: PromptOutcome) => void;
  private settled = false;
  private readonly conn: ComfyConnection;
  private readonly options: PromptRunOptions;
  private readonly unsubscribe: Array<() => void> = [];
  private lostTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(conn: ComfyConnection, options: PromptRunOptions = {}) {
    this.conn = conn;
    this.options = options;
    this.outcome = new Promise((resolve) => {
      this.settle = (outcome) => {
        if (this.settled) return;
        this.settled = true;
        this.detach();
        resolve(outcome);
      };
    });
  }

  /**
   * Queues the graph. Throws a JobFailure: `comfyui_validation` (400, not retryable) or `comfyui_unavailable`.
   * Events are followed from before the POST, so none is missed.
   */
  async submit(graph: ComfyGraph): Promise<void> {
    this.unsubscribe.push(this.conn.onEvent((event) => this.onEvent(event)));
    this.unsubscribe.push(this.conn.onState((up) => (up ? this.onReconnect() : this.startLostTimer())));
    if (!this.conn.healthy) this.startLostTimer();
    try {
      const answer = await this.conn.postJson<{ prompt_id?: unknown }>("/prompt", {
        prompt: graph,
        client_id: this.conn.clientId,
        prompt_id: this.promptId,
      });
      if (typeof answer.prompt_id === "string" && answer.prompt_id !== this.promptId) {
        this.promptId = answer.prompt_id;
        this.conn.noteOwnPromptIds();
      }
      const early = this.early ?? [];
      this.early = undefined;
      for (const event of early) this.onEvent(event);
    } catch (error) {
      this.early = undefined;
      this.detach();
      this.settled = true;
      if (error instanceof ComfyHttpError && error.status === 400) throw validationFailure(error.body);
      const status = error instanceof ComfyHttpError ? ` (${error.message})` : `: ${String(error)}`;
      throw new JobFailure("comfyui_unavailable", `ComfyUI did not take the prompt${status}`, true);
    }
  }

  /** Stops following (the outcome then never settles unless it has). */
  detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    clearTimeout(this.lostTimer);
  }

  private onEvent(event: PromptEvent): void {
    if (this.early) {
      this.early.push(event);
      return;
    }
    if (this.settled || event.data.prompt_id !== this.promptId) return;
    this.options.onEvent?.(event);
    if (event.type === "executing" && event.data.node === null) void this.checkHistory(true);
  }

  private onReconnect(): void {
    clearTimeout(this.lostTimer);
    this.lostTimer = undefined;
    void this.checkHistory(false);
  }

  private startLostTimer(): void {
    if (this.lostTimer !== undefined || this.settled) return;
    const ms = this.options.lostAfterMs ?? 30_000;
    this.lostTimer = setTimeout(
      () => this.settle({ kind: "lost", message: `ComfyUI ${this.conn.url} stayed unreachable for ${ms} ms` }),
      ms,
    );
  }

  /**
   * Settles from the history entry if there is one. After `executing {node: null}` the entry is written, but a
   * few retries cover a proxy's delay; after a reconnect, no entry and no queue item means the prompt is lost.
   */
  private async checkHistory(finished: boolean): Promise<void> {
    for (let attempt = 0; attempt < (finished ? 5 : 1) && !this.settled; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
      let history: Record<string, HistoryEntry>;
      try {
        history = await this.conn.json<Record<string, HistoryEntry>>(`/history/${this.promptId}`);
      } catch {
        return; // ComfyUI went away: the next reconnect checks again, or the lost timer ends it.
      }
      const entry = history[this.promptId];
      if (entry) return this.settle(outcomeOf(entry));
    }
    if (finished || this.settled) return;
    try {
      const queue = await this.conn.json<{ queue_running?: unknown[][]; queue_pending?: unknown[][] }>("/queue");
      const items = [...(queue.queue_running ?? []), ...(queue.queue_pending ?? [])];
      if (!items.some((item) => Array.isArray(item) && item[1] === this.promptId)) {
        this.settle({ kind: "lost", message: `ComfyUI ${this.conn.url} no longer knows prompt ${this.promptId}` });
      }
    } catch {
      // As above.
    }
  }
}

/** How a prompt ended, from its history entry. */
function outcomeOf(entry: HistoryEntry): PromptOutcome {
  const messages = entry.status?.messages ?? [];
  const find = (type: string) => messages.find((m) => Array.isArray(m) && m[0] === type)?.[1];
  if (entry.status?.status_str === "error" || entry.status?.completed === false) {
    const error = find("execution_error");
    if (error) return { kind: "error", error };
    if (find("execution_interrupted")) return { kind: "interrupted" };
    return { kind: "error", error: { exception_type: "Unknown", exception_message: "ComfyUI reported an error" } };
  }
  return { kind: "success", outputs: entry.outputs ?? {} };
}
