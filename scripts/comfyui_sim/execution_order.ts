/**
 * Which nodes run, in what order, and which are served from cache, after ComfyUI's comfy_execution
 * (graph.py ExecutionList, caching.py input signatures). The order matters to clients: it is the order of
 * `executing` events. Output nodes are staged first; their uncached inputs are added depth-first, and of the
 * nodes ready to run ComfyUI prefers output nodes, then nodes one or two links before an output, else the first
 * one staged. A node's cache key is a signature of its class, its literal inputs and its inputs' signatures.
 */
import { createHash } from "node:crypto";
import { type ComfyGraph, isLink } from "../../shared/comfyui/graph.ts";

/** Input signatures of every node; `isChanged` adds what a node's IS_CHANGED would (a file's hash). */
export function nodeSignatures(prompt: ComfyGraph, isChanged: (id: string) => unknown): Map<string, string> {
  const signatures = new Map<string, string>();
  const visiting = new Set<string>();
  const signature = (id: string): string => {
    const known = signatures.get(id);
    if (known) return known;
    if (visiting.has(id) || !prompt[id]) return `missing:${id}`;
    visiting.add(id);
    const node = prompt[id];
    const inputs = Object.keys(node.inputs)
      .sort()
      .map((name) => {
        const v = node.inputs[name];
        return [name, isLink(v) ? ["link", signature(v[0]), v[1]] : v];
      });
    const sig = createHash("sha256")
      .update(JSON.stringify([node.class_type, isChanged(id), inputs]))
      .digest("hex");
    visiting.delete(id);
    signatures.set(id, sig);
    return sig;
  };
  for (const id of Object.keys(prompt)) signature(id);
  return signatures;
}

export class DependencyCycleError extends Error {}

/** The order ComfyUI executes `outputs` and their uncached inputs in; cached output nodes are included. */
export function executionOrder(
  prompt: ComfyGraph,
  outputs: string[],
  isOutputNode: (id: string) => boolean,
  isCached: (id: string) => boolean,
): string[] {
  const pending = new Map<string, true>();
  const blockCount = new Map<string, number>();
  const blocking = new Map<string, Set<string>>();
  for (const output of outputs) {
    const stack = [output];
    const links: Array<[string, string]> = [];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (pending.has(id)) continue;
      pending.set(id, true);
      blockCount.set(id, 0);
      blocking.set(id, new Set());
      for (const value of Object.values(prompt[id].inputs)) {
        if (!isLink(value) || isCached(value[0])) continue;
        stack.push(value[0]);
        links.push([value[0], id]);
      }
    }
    for (const [from, to] of links) {
      const blocked = blocking.get(from) as Set<string>;
      if (blocked.has(to)) continue;
      blocked.add(to);
      blockCount.set(to, (blockCount.get(to) ?? 0) + 1);
    }
  }
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending.keys()].filter((id) => blockCount.get(id) === 0);
    if (ready.length === 0) throw new DependencyCycleError("Dependency cycle detected");
    const feeds = (id: string, depth: number): boolean =>
      [...(blocking.get(id) ?? [])].some((b) => isOutputNode(b) || (depth > 1 && feeds(b, depth - 1)));
    const next =
      ready.find(isOutputNode) ?? ready.find((id) => feeds(id, 1)) ?? ready.find((id) => feeds(id, 2)) ?? ready[0];
    order.push(next);
    pending.delete(next);
    for (const b of blocking.get(next) ?? []) blockCount.set(b, (blockCount.get(b) ?? 0) - 1);
  }
  return order;
}
