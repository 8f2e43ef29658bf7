/**
 * ComfyUI's API-format graph (what `POST /prompt` takes as `prompt`), shared by the graph builders, the worker
 * and the simulator. A node's input is either a literal or a link `[source node id, output slot]`; the id is a
 * string because ComfyUI looks the source up as a key of the graph.
 */

/** A link to output `slot` of node `nodeId`. */
export type Link = [nodeId: string, slot: number];

export interface GraphNode {
  class_type: string;
  inputs: Record<string, unknown>;
  /** What the ComfyUI frontend exports; the server ignores it. */
  _meta?: { title: string };
}

/** Nodes by id ("3", "9", …). */
export type ComfyGraph = Record<string, GraphNode>;

/** Whether an input value is a link (ComfyUI treats any 2-element list as one). */
export function isLink(value: unknown): value is Link {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && Number.isInteger(value[1]);
}

/** The graph in `value`, checked to be in API format; a UI-format export (`{nodes: [...], links}`) is refused. */
export function asComfyGraph(value: unknown): ComfyGraph {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("a ComfyUI graph must be an object of nodes by id");
  }
  if (Array.isArray((value as { nodes?: unknown }).nodes)) {
    throw new Error("the graph is in ComfyUI's UI format; export it with 'Export (API)' instead");
  }
  for (const [id, node] of Object.entries(value)) {
    const n = node as Partial<GraphNode> | null;
    if (typeof n?.class_type !== "string" || typeof n.inputs !== "object" || n.inputs === null) {
      throw new Error(`graph node ${id} needs a class_type and an inputs object`);
    }
  }
  return value as ComfyGraph;
}
