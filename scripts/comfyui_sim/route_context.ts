/**
 * What the simulator's route handlers get (the request and the simulator's state) and return (a status and a
 * body), so each route is a plain function and the node:http plumbing stays in one place (http_routes.ts).
 */
import type { NodeDefinition } from "../../shared/comfyui/nodes.ts";
import type { Executor } from "./executor.ts";
import type { FaultInjector } from "./faults.ts";
import type { FileStore } from "./file_store.ts";
import type { PromptQueue } from "./prompt_queue.ts";

export interface SimRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  /** The body's bytes (read on demand). */
  body(): Promise<Buffer>;
}

export interface Reply {
  status: number;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
}

export interface SimState {
  /** The server imitated (sim.ts, SIM_PROFILES). */
  profile: "comfyui-0.17" | "comfyui-2024";
  queue: PromptQueue;
  files: FileStore;
  executor: Executor;
  faults: FaultInjector;
  catalog(): Record<string, NodeDefinition>;
  checkpoints: string[];
  upscaleModels: string[];
  vramGb: number;
  port: number;
  /** Prompts accepted by POST /prompt. */
  prompts: number;
}

export type Handler = (req: SimRequest, state: SimState, match: RegExpExecArray) => Promise<Reply> | Reply;

/** aiohttp's json_response. */
export function json(body: unknown, status = 200): Reply {
  return { status, body: JSON.stringify(body), headers: { "content-type": "application/json; charset=utf-8" } };
}

/** aiohttp's `web.Response(status=…)`: no body. */
export function empty(status = 200): Reply {
  return { status };
}

/** The body as JSON; undefined when it is empty or not JSON (ComfyUI treats a bad /interrupt body as none). */
/**
 * aiohttp's `await request.json()`: an empty body reads as undefined; a body that is not JSON raises, which aiohttp
 * answers with a plain-text 500 (the listener does).
 */
export async function jsonBody(req: SimRequest): Promise<unknown> {
  const text = (await req.body()).toString("utf8");
  if (text.trim() === "") return undefined;
  return JSON.parse(text);
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
