/**
 * Runs queued prompts one at a time, after ComfyUI's main.py prompt_worker and execution.PromptExecutor:
 * execution_start, execution_cached, then per node progress_state → executing → progress… → executed, then
 * execution_success (or execution_error / execution_interrupted), the history entry with status broadcast, and
 * last `executing {node: null}`. Node results are cached by input signature, so an unchanged node (or a whole
 * identical graph) is not run again; a cached output node re-sends `executed` with the same files.
 */
import type { ComfyGraph } from "../../shared/comfyui/graph.ts";
import { isLink } from "../../shared/comfyui/graph.ts";
import type { NodeDefinition } from "../../shared/comfyui/nodes.ts";
import { DependencyCycleError, executionOrder, nodeSignatures } from "./execution_order.ts";
import { type FaultInjector, HEAVY_NODES, outOfMemory, type SimFault } from "./faults.ts";
import { FileStore } from "./file_store.ts";
import { NodeFailure, type NodeResult, planNode, type SimValue } from "./node_effects.ts";
import { PromptEvents } from "./prompt_events.ts";
import type { PromptQueue, QueueItem } from "./prompt_queue.ts";
import { tupleOf } from "./prompt_queue.ts";
import type { WebSocketHub } from "./websocket_hub.ts";

export interface ExecutorDeps {
  queue: PromptQueue;
  hub: WebSocketHub;
  files: FileStore;
  catalog: () => Record<string, NodeDefinition>;
  faults: FaultInjector;
  stepMs: number;
  vramGb: number;
  /** The pause between execution_success and `executing {node: null}`: ~450 ms on the measured CPU server. */
  successGapMs: number;
  /** What loading a checkpoint costs: a CheckpointLoaderSimple that runs (not cached from the last prompt). */
  modelLoadMs: number;
}

class Interrupted extends Error {}

/** A prompt's time on the simulated GPU. */
export interface PromptSpan {
  promptId: string;
  startedAt: number;
  endedAt: number;
}

/** Where and why a prompt stopped, with the inputs its failing node had. */
interface Failure {
  node: string;
  error: unknown;
  inputs: Record<string, unknown>;
}

const shown = (v: unknown) =>
  typeof v === "object" && v !== null && "kind" in v ? `<${(v as SimValue).kind} object>` : v;

export class Executor {
  /** Ids of prompts that ended by an interrupt, in order. */
  readonly interrupts: string[] = [];
  /** Checkpoints loaded so far (each CheckpointLoaderSimple run; a cached one loads nothing). */
  modelLoads = 0;
  /** When each prompt ran (performance.now()): from execution_start to its end, the success gap not included. */
  readonly runs: PromptSpan[] = [];
  /** The running prompt's client and current node, for a reconnecting client's greeting. */
  clientId: string | undefined;
  lastNodeId: string | undefined;
  private readonly deps: ExecutorDeps;
  private readonly cache = new Map<string, NodeResult>();
  private readonly wakers = new Set<() => void>();
  private interrupted = false;
  private closed = false;
  private loop: Promise<void> | undefined;

  constructor(deps: ExecutorDeps) {
    this.deps = deps;
  }

  /** Starts running queued prompts unless already doing so. */
  kick(): void {
    if (this.loop || this.closed) return;
    this.loop = this.drain().finally(() => {
      this.loop = undefined;
      if (this.deps.queue.remaining() > 0 && !this.deps.queue.running) this.kick();
    });
  }

  /** nodes.interrupt_processing(): the running prompt stops at its next node or step. */
  interrupt(): void {
    this.interrupted = true;
    for (const wake of this.wakers) wake();
  }

  /** Stops after the running prompt is interrupted. */
  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    await this.loop;
  }

  private async drain(): Promise<void> {
    for (let item = this.deps.queue.take(); item; item = this.closed ? undefined : this.deps.queue.take()) {
      await this.run(item);
    }
  }

  /** Waits `ms` (forever for Infinity), cut short by an interrupt. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      this.wakers.add(wake);
    });
  }

  private async run(item: QueueItem): Promise<void> {
    const { prompt, promptId } = item;
    const catalog = this.deps.catalog();
    const sid = typeof item.extraData.client_id === "string" ? item.extraData.client_id : undefined;
    const events = new PromptEvents(this.deps.hub, promptId, sid);
    this.interrupted = false;
    this.clientId = sid;
    const faults = this.deps.faults.faultsFor(prompt);
    const startedAt = performance.now();
    events.message("execution_start", { prompt_id: promptId });

    const signatures = nodeSignatures(prompt, (id) => this.isChanged(prompt, id));
    const current = new Set(signatures.values());
    for (const sig of this.cache.keys()) if (!current.has(sig)) this.cache.delete(sig);
    const cached = (id: string) => this.cache.has(signatures.get(id) ?? "");
    events.message("execution_cached", { nodes: Object.keys(prompt).filter(cached), prompt_id: promptId });

    const isOutput = (id: string) => catalog[prompt[id].class_type]?.output_node === true;
    const values = new Map<string, SimValue[]>();
    const upstream = (id: string) => values.get(id) ?? this.cache.get(signatures.get(id) ?? "")?.outputs;
    const executed: string[] = [];
    const outputs: Record<string, Record<string, unknown>> = {};
    const effects = { files: this.deps.files, prompt, tempSuffix: `_temp_${randomLetters(5)}` };
    let order: string[] = [];
    let failure: Failure | undefined;
    try {
      order = executionOrder(prompt, item.outputs, isOutput, cached);
    } catch (error) {
      failure = { node: item.outputs[0], error, inputs: {} };
    }
    const faultNode = order.find((id) => HEAVY_NODES.has(prompt[id].class_type) && !cached(id)) ?? order.at(-1);

    for (const id of failure ? [] : order) {
      const hit = this.cache.get(signatures.get(id) ?? "");
      if (hit) {
        values.set(id, hit.outputs);
        executed.push(id);
        events.executed(id, hit.ui ?? null);
        if (hit.ui) outputs[id] = hit.ui;
        continue;
      }
      let inputs: Record<string, unknown> = {};
      try {
        events.nodeState(id, 0, 1, "running");
        this.lastNodeId = id;
        events.executing(id);
        if (this.interrupted) throw new Interrupted();
        inputs = Object.fromEntries(
          Object.entries(prompt[id].inputs).map(([k, v]) => [k, isLink(v) ? upstream(v[0])?.[v[1]] : v]),
        );
        const plan = planNode(prompt[id].class_type, inputs, effects);
        if (prompt[id].class_type === "CheckpointLoaderSimple") {
          this.modelLoads++;
          await this.sleep(this.deps.modelLoadMs);
        }
        await this.steps(events, id, plan.steps, id === faultNode ? faults : new Set(), sid);
        const result = plan.finish();
        values.set(id, result.outputs);
        executed.push(id);
        this.cache.set(signatures.get(id) ?? "", result);
        if (result.ui) {
          outputs[id] = result.ui;
          events.executed(id, result.ui);
        }
        events.nodeState(id, plan.steps || 1, plan.steps || 1, "finished");
      } catch (error) {
        failure = { node: id, error, inputs };
        break;
      }
    }

    if (!failure) events.message("execution_success", { prompt_id: promptId });
    else if (failure.error instanceof Interrupted) this.interrupts.push(promptId);
    if (failure) reportFailure(events, prompt, failure, executed, [...values.keys()]);
    this.runs.push({ promptId, startedAt, endedAt: performance.now() });
    if (!failure && this.deps.successGapMs > 0) await this.sleep(this.deps.successGapMs);
    this.deps.queue.done({
      prompt: tupleOf(item),
      outputs,
      status: { status_str: failure ? "error" : "success", completed: !failure, messages: events.messages },
      meta: Object.fromEntries(
        Object.keys(outputs).map((id) => [id, { node_id: id, display_node: id, parent_node: null, real_node_id: id }]),
      ),
    });
    this.clientId = undefined;
    this.lastNodeId = undefined;
    events.executing(null);
  }

  /** A node's progress steps, where faults strike: oom before the first, stall instead, drop-ws halfway. */
  private async steps(events: PromptEvents, id: string, count: number, faults: Set<SimFault>, sid?: string) {
    if (faults.has("oom")) throw oom(this.deps.vramGb);
    if (faults.has("stall")) {
      while (!this.interrupted) await this.sleep(Number.POSITIVE_INFINITY);
      throw new Interrupted();
    }
    const dropAt = faults.has("drop-ws") && sid !== undefined ? Math.ceil(count / 2) : -1;
    if (dropAt === 0) this.deps.hub.drop(sid as string);
    for (let step = 1; step <= count; step++) {
      await this.sleep(this.deps.stepMs);
      if (this.interrupted) throw new Interrupted();
      events.progress(id, step, count);
      if (step === dropAt) this.deps.hub.drop(sid as string);
    }
  }

  /** IS_CHANGED: LoadImage reloads when the file's bytes change. */
  private isChanged(prompt: ComfyGraph, id: string): unknown {
    if (prompt[id].class_type !== "LoadImage") return undefined;
    return this.deps.files.get(FileStore.parseAnnotated(String(prompt[id].inputs.image)))?.hash ?? "missing";
  }
}

/** execution_interrupted, or execution_error with the exception as ComfyUI's handle_execution_error reports it. */
function reportFailure(events: PromptEvents, prompt: ComfyGraph, f: Failure, executed: string[], outputs: string[]) {
  const base = { prompt_id: events.promptId, node_id: f.node, node_type: prompt[f.node].class_type, executed };
  if (f.error instanceof Interrupted) {
    events.message("execution_interrupted", base, true);
    return;
  }
  const exception =
    f.error instanceof NodeFailure
      ? { exception_type: f.error.exceptionType, exception_message: f.error.message }
      : f.error instanceof DependencyCycleError
        ? { exception_type: "comfy_execution.graph.DependencyCycleError", exception_message: f.error.message }
        : { exception_type: "Exception", exception_message: String(f.error) };
  events.message("execution_error", {
    ...base,
    ...exception,
    traceback: [`  File "/ComfyUI/execution.py", line 496, in execute (simulated ${base.node_type})\n`],
    current_inputs: Object.fromEntries(Object.entries(f.inputs).map(([k, v]) => [k, [shown(v)]])),
    current_outputs: outputs,
  });
}

function oom(vramGb: number): NodeFailure {
  const { exception_type, exception_message } = outOfMemory(vramGb);
  return new NodeFailure(exception_type, exception_message);
}

function randomLetters(n: number): string {
  return Array.from({ length: n }, () => "abcdefghijklmnopqrstupvxyz"[Math.floor(Math.random() * 26)]).join("");
}
