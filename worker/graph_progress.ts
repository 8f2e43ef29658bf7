/**
 * Progress across a whole ComfyUI graph, from the prompt's WebSocket events: each node has a weight (sampling
 * and model upscaling, where the time goes, weigh 10; every other node 1); cached and executed nodes count in
 * full, the running node by its `progress` fraction (sampler steps). The ETA extrapolates the time since the
 * first node started over the share still to do.
 */
import type { ComfyGraph } from "../shared/comfyui/graph.ts";
import type { Progress } from "../shared/worker_protocol.ts";
import type { PromptEvent } from "./comfy_connection.ts";

const HEAVY = /Sampler|UpscaleWithModel|VAEDecodeTiled|VAEEncodeTiled/;

export class GraphProgress {
  private readonly weights = new Map<string, number>();
  private readonly total: number;
  private readonly done = new Set<string>();
  private current: string | undefined;
  private value = 0;
  private max = 1;
  private startedAt: number | undefined;
  private readonly now: () => number;

  constructor(graph: ComfyGraph, now: () => number = Date.now) {
    for (const [id, node] of Object.entries(graph)) this.weights.set(id, HEAVY.test(node.class_type) ? 10 : 1);
    this.total = [...this.weights.values()].reduce((a, b) => a + b, 0) || 1;
    this.now = now;
  }

  /** Updates from one event of this prompt; true when the progress changed. */
  update(event: PromptEvent): boolean {
    const data = event.data;
    switch (event.type) {
      case "execution_cached":
        for (const id of Array.isArray(data.nodes) ? data.nodes : []) this.done.add(String(id));
        return true;
      case "executing": {
        if (typeof data.node !== "string") return false;
        if (this.current !== undefined && this.current !== data.node) this.done.add(this.current);
        this.startedAt ??= this.now();
        this.current = data.node;
        this.value = 0;
        this.max = 1;
        return true;
      }
      case "progress": {
        const value = Number(data.value);
        const max = Number(data.max);
        if (!Number.isFinite(value) || !Number.isFinite(max) || max <= 0) return false;
        this.startedAt ??= this.now();
        if (typeof data.node === "string" && data.node !== this.current) {
          if (this.current !== undefined) this.done.add(this.current);
          this.current = data.node;
        }
        this.value = Math.max(0, Math.min(value, max));
        this.max = max;
        return true;
      }
      case "executed":
        if (typeof data.node === "string") this.done.add(data.node);
        return true;
      default:
        return false;
    }
  }

  /** 0–100 across the graph. */
  percent(): number {
    let sum = 0;
    for (const id of this.done) sum += this.weights.get(id) ?? 0;
    if (this.current !== undefined && !this.done.has(this.current)) {
      sum += (this.weights.get(this.current) ?? 1) * (this.value / this.max);
    }
    return Math.min(100, Math.round((sum / this.total) * 1000) / 10);
  }

  /** The heartbeat's progress object. */
  snapshot(): Progress {
    const percent = this.percent();
    const elapsed = this.startedAt === undefined ? 0 : this.now() - this.startedAt;
    const eta = percent >= 1 && percent < 100 ? Math.round((elapsed * (100 - percent)) / percent) : undefined;
    return {
      value: this.value,
      max: this.max,
      ...(this.current === undefined ? {} : { node: this.current.slice(0, 100) }),
      percent,
      ...(eta === undefined ? {} : { eta_ms: eta }),
    };
  }
}
