/**
 * The prompt queue and history, after ComfyUI's execution.PromptQueue: pending prompts ordered by `number`
 * (front = negative), at most one running, and a history entry written when a prompt ends (`task_done`), before
 * the final `executing {node: null}`. Every change is reported through `onChange` so the server can broadcast
 * `status` with the new `queue_remaining`, as ComfyUI's queue_updated does.
 */
import type { ComfyGraph } from "../../shared/comfyui/graph.ts";

export interface QueueItem {
  number: number;
  promptId: string;
  prompt: ComfyGraph;
  /** Includes `client_id`, which routes the prompt's WebSocket events. */
  extraData: Record<string, unknown>;
  outputs: string[];
}

/** How ComfyUI lists a queue item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export type QueueTuple = [number, string, ComfyGraph, Record<string, unknown>, string[]];

export interface HistoryEntry {
  prompt: QueueTuple;
  outputs: Record<string, Record<string, unknown>>;
  status: { status_str: "success" | "error"; completed: boolean; messages: Array<[string, unknown]> };
  meta: Record<string, { node_id: string; display_node: string; parent_node: null; real_node_id: string }>;
}

export const tupleOf = (i: QueueItem): QueueTuple => [i.number, i.promptId, i.prompt, i.extraData, i.outputs];

export class PromptQueue {
  private pending: QueueItem[] = [];
  private nextNumber = 0;
  running: QueueItem | undefined;
  readonly history = new Map<string, HistoryEntry>();

  private readonly onChange: () => void;

  constructor(onChange: () => void) {
    this.onChange = onChange;
  }

  /** The `number` of the next prompt: increasing, negated when it goes to the front. */
  number(front: boolean): number {
    const n = this.nextNumber++;
    return front ? -n : n;
  }

  put(item: QueueItem): void {
    this.pending.push(item);
    this.pending.sort((a, b) => a.number - b.number);
    this.onChange();
  }

  /** Takes the next prompt to run; undefined when none is pending. */
  take(): QueueItem | undefined {
    const item = this.pending.shift();
    if (!item) return undefined;
    this.running = item;
    this.onChange();
    return item;
  }

  /** Ends the running prompt with its history entry. */
  done(entry: HistoryEntry): void {
    this.history.set(entry.prompt[1], entry);
    this.running = undefined;
    this.onChange();
  }

  /** Removes pending prompts (`POST /queue {delete}`), or all of them (`{clear: true}`). */
  remove(ids: string[] | "all"): void {
    this.pending = ids === "all" ? [] : this.pending.filter((i) => !ids.includes(i.promptId));
    this.onChange();
  }

  remaining(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  queueJson() {
    return { queue_running: this.running ? [tupleOf(this.running)] : [], queue_pending: this.pending.map(tupleOf) };
  }

  /** `GET /history[?max_items=n]`: the last n entries, oldest first. */
  historyJson(maxItems?: number): Record<string, HistoryEntry> {
    const entries = [...this.history.entries()];
    return Object.fromEntries(maxItems === undefined ? entries : entries.slice(Math.max(0, entries.length - maxItems)));
  }
}
