/**
 * The WebSocket events of one running prompt, with ComfyUI's routing rules: `add_message` events
 * (execution_start, execution_cached, execution_success/error/interrupted) get a timestamp, are kept for the
 * history's `status.messages` and go to the prompt's client (or to everyone when broadcast and the prompt has
 * no client); executing, progress, progress_state and executed go only to the prompt's client, if it has one.
 */
import type { WebSocketHub } from "./websocket_hub.ts";

interface NodeProgress {
  value: number;
  max: number;
  state: "running" | "finished";
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: null;
  real_node_id: string;
}

export class PromptEvents {
  readonly messages: Array<[string, unknown]> = [];
  private readonly nodes: Record<string, NodeProgress> = {};
  private readonly hub: WebSocketHub;
  readonly promptId: string;
  private readonly clientId: string | undefined;

  constructor(hub: WebSocketHub, promptId: string, clientId: string | undefined) {
    this.hub = hub;
    this.promptId = promptId;
    this.clientId = clientId;
  }

  /** execution.py add_message. */
  message(event: string, data: Record<string, unknown>, broadcast = false): void {
    const stamped = { prompt_id: this.promptId, ...data, timestamp: Date.now() };
    this.messages.push([event, stamped]);
    if (this.clientId !== undefined || broadcast) this.hub.send(event, stamped, this.clientId);
  }

  /** send_sync(event, data, client_id), which ComfyUI only does when the prompt has a client. */
  toClient(event: string, data: Record<string, unknown>): void {
    if (this.clientId !== undefined) this.hub.send(event, data, this.clientId);
  }

  executing(node: string | null): void {
    this.toClient(
      "executing",
      node === null ? { node, prompt_id: this.promptId } : { node, display_node: node, prompt_id: this.promptId },
    );
  }

  executed(node: string, output: unknown): void {
    this.toClient("executed", { node, display_node: node, output, prompt_id: this.promptId });
  }

  /** A node's progress_state entry changes: ComfyUI then sends the state of every node started so far. */
  nodeState(node: string, value: number, max: number, state: NodeProgress["state"]): void {
    const p = this.promptId;
    this.nodes[node] = {
      value,
      max,
      state,
      node_id: node,
      prompt_id: p,
      display_node_id: node,
      parent_node_id: null,
      real_node_id: node,
    };
    this.toClient("progress_state", { prompt_id: p, nodes: structuredClone(this.nodes) });
  }

  /** One step of a node's progress bar: progress_state, then the classic `progress` event. */
  progress(node: string, value: number, max: number): void {
    this.nodeState(node, value, max, "running");
    this.toClient("progress", { value, max, prompt_id: this.promptId, node });
  }
}
