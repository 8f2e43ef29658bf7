/**
 * The ComfyUI simulator in one call: an HTTP + WebSocket server on loopback that speaks ComfyUI's protocol
 * (see ../shared/reference/comfyui-protocol.md) for the node classes of shared/comfyui/nodes.ts, renders
 * deterministic PNGs instead of running models, and can inject faults. `npm run comfyui-sim`, the local stack
 * and the worker's tests all start it through `startComfyuiSim`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { nodeCatalog } from "../../shared/comfyui/nodes.ts";
import { Executor, type PromptSpan } from "./executor.ts";
import { FaultInjector, type SimFault } from "./faults.ts";
import { FileStore } from "./file_store.ts";
import { httpListener, SERVER_FEATURES } from "./http_routes.ts";
import { PromptQueue } from "./prompt_queue.ts";
import type { SimState } from "./route_context.ts";
import { WebSocketHub } from "./websocket_hub.ts";

export type { SimFault } from "./faults.ts";

export const DEFAULT_CHECKPOINTS = ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"];
export const DEFAULT_UPSCALE_MODELS = ["RealESRGAN_x2plus.pth", "RealESRGAN_x4plus.pth"];

/**
 * Which ComfyUI the simulator is. `comfyui-0.17` (the default): the server measured in
 * ../shared/reference/comfyui-protocol.md. `comfyui-2024`: a server from before 0.3.44, as measured on an April-2024
 * build: it runs every prompt under an id of its own (a client's `prompt_id` is ignored), its /interrupt stops
 * whatever runs (no targeted interrupt), and /system_stats has no `comfyui_version`.
 */
export const SIM_PROFILES = ["comfyui-0.17", "comfyui-2024"] as const;
export type SimProfile = (typeof SIM_PROFILES)[number];

export interface ComfyuiSimOptions {
  /** The server imitated; `comfyui-0.17` by default. */
  profile?: SimProfile;
  /** 8188 by default, like ComfyUI; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Duration of one sampling step (and one upscale tile), 50 ms by default. */
  stepMs?: number;
  /** The pause between `execution_success` and `executing {node: null}`; 0 by default, ~450 ms on a real CPU server. */
  successGapMs?: number;
  /** What loading a checkpoint takes (a checkpoint other than the last prompt's), 0 by default; seconds on a GPU. */
  modelLoadMs?: number;
  checkpoints?: string[];
  upscaleModels?: string[];
  /** The simulated GPU's memory, 24 GiB by default (system_stats, OOM messages). */
  vramGb?: number;
  /** A fault for the next prompt that starts. */
  failNext?: SimFault;
}

export interface ComfyuiSim {
  /** http://host:port */
  url: string;
  port: number;
  /** Prompts accepted by POST /prompt so far. */
  readonly prompts: number;
  /** Ids of the prompts stopped by an interrupt, in order. */
  readonly interrupts: readonly string[];
  /** Checkpoints loaded so far: prompts that used another checkpoint than the one before. */
  readonly modelLoads: number;
  /** Each prompt's time on the simulated GPU (performance.now()), in order: busy time and the gaps between. */
  readonly runs: readonly PromptSpan[];
  /** Open WebSocket connections. */
  readonly sockets: number;
  /** Makes the next prompt to start fail with `fault` (undefined cancels). */
  setFailNext(fault: SimFault | undefined): void;
  /** Adds a checkpoint file, as if dropped into models/checkpoints (ComfyUI lists it from then on). */
  addCheckpoint(name: string): void;
  /** Cuts client `clientId`'s WebSockets as a network drop would; returns how many were open. */
  dropClient(clientId: string): number;
  /** Interrupts the running prompt, closes every connection and the server. */
  close(): Promise<void>;
}

/** Starts a simulator; resolves once it listens. */
export async function startComfyuiSim(options: ComfyuiSimOptions = {}): Promise<ComfyuiSim> {
  const host = options.host ?? "127.0.0.1";
  const files = new FileStore();
  const faults = new FaultInjector(options.failNext);
  const checkpoints = [...(options.checkpoints ?? DEFAULT_CHECKPOINTS)];
  const upscaleModels = options.upscaleModels ?? DEFAULT_UPSCALE_MODELS;
  const catalog = () => nodeCatalog({ checkpoints, upscale_models: upscaleModels, input_images: files.names("input") });
  const hub: WebSocketHub = new WebSocketHub({
    greeting: (sid) => [
      { type: "status", data: { status: { exec_info: { queue_remaining: queue.remaining() } }, sid } },
      ...(executor.clientId === sid && executor.lastNodeId
        ? [{ type: "executing", data: { node: executor.lastNodeId } }]
        : []),
    ],
    serverFeatures: () => SERVER_FEATURES,
  });
  const queue: PromptQueue = new PromptQueue(() =>
    hub.send("status", { status: { exec_info: { queue_remaining: queue.remaining() } } }),
  );
  const vramGb = options.vramGb ?? 24;
  const executor: Executor = new Executor({
    queue,
    hub,
    files,
    catalog,
    faults,
    stepMs: options.stepMs ?? 50,
    vramGb,
    successGapMs: options.successGapMs ?? 0,
    modelLoadMs: options.modelLoadMs ?? 0,
  });
  const state: SimState = {
    profile: options.profile ?? "comfyui-0.17",
    queue,
    files,
    executor,
    faults,
    catalog,
    checkpoints,
    upscaleModels,
    vramGb,
    port: 0,
    prompts: 0,
  };

  const server = createServer(httpListener(() => state));
  server.on("upgrade", (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8188, host, () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${state.port}`,
    port: state.port,
    get prompts() {
      return state.prompts;
    },
    get interrupts() {
      return executor.interrupts;
    },
    get modelLoads() {
      return executor.modelLoads;
    },
    get runs() {
      return executor.runs;
    },
    get sockets() {
      return hub.size;
    },
    setFailNext: (fault) => faults.setFailNext(fault),
    addCheckpoint: (name) => void checkpoints.push(name),
    dropClient: (clientId) => hub.drop(clientId),
    close() {
      closing ??= (async () => {
        await executor.close();
        await hub.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
