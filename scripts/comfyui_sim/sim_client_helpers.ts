/**
 * Helpers for driving the simulator with the real client (@stable-canvas/comfyui-client), used the way the
 * worker uses it: the transport only (connect, on, fetchApi, viewURL, interrupt), a client-chosen prompt_id,
 * completion on `executing {node: null}` for that prompt, confirmation from /history.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Client, type HttpError } from "@stable-canvas/comfyui-client";
import WebSocket from "ws";
import { buildGraph } from "../../shared/comfyui/build_graph.ts";
import type { ComfyGraph } from "../../shared/comfyui/graph.ts";
import { type ComfyuiSim, type ComfyuiSimOptions, startComfyuiSim } from "./sim.ts";

export type Event = [type: string, data: Record<string, unknown>];
const EVENTS = ["execution_start", "execution_cached", "executing", "progress", "executed", "execution_success"];
const ENDINGS = ["execution_error", "execution_interrupted"];
export const CHECKPOINT = "sd_xl_base_1.0.safetensors";

/** Runs `fn` with a fresh simulator on a free port (5 ms steps) and a connected client; closes both. */
export async function withSim(options: ComfyuiSimOptions, fn: (sim: ComfyuiSim, client: Client) => Promise<void>) {
  const sim = await startComfyuiSim({ port: 0, stepMs: 5, ...options });
  const client = new Client({ api_host: `127.0.0.1:${sim.port}`, clientId: randomUUID(), WebSocket, fetch });
  try {
    await client.connect({ timeout_ms: 2000 });
    await fn(sim, client);
  } finally {
    client.close();
    await sim.close();
  }
}

/** A txt2img graph from buildGraph (4 steps unless given). */
export const txt2img = (params: Record<string, unknown>, id = randomUUID()) =>
  buildGraph(
    { id, type: "txt2img", params: { prompt: "a kiln", steps: 4, ...params } },
    { defaultCheckpoint: CHECKPOINT },
  );

/** POST /prompt with this client's id and a client-chosen prompt_id. */
export async function post(client: Client, graph: ComfyGraph, promptId: string = randomUUID()) {
  const body = JSON.stringify({ prompt: graph, client_id: client.clientId, prompt_id: promptId });
  const res = await client.fetchApi("/prompt", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  return (await res.json()) as { prompt_id: string; number: number; node_errors: object };
}

/** The prompt's events, listened to before it is posted, until `executing {node: null}` (or `until`). */
export function listen(
  client: Client,
  promptId: string,
  until = (e: Event) => e[0] === "executing" && e[1].node === null,
) {
  const events: Event[] = [];
  let finish: () => void = () => {};
  const done = new Promise<Event[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`prompt ${promptId} did not finish: ${JSON.stringify(events)}`)),
      5000,
    );
    finish = () => {
      clearTimeout(timer);
      for (const off of offs) off();
      resolve(events);
    };
  });
  const offs = [...EVENTS, ...ENDINGS].map((type) =>
    client.on(type as "executing", (data: unknown) => {
      const event: Event = [type, data as Record<string, unknown>];
      if (event[1]?.prompt_id !== promptId) return;
      events.push(event);
      if (until(event)) finish();
    }),
  );
  /** `stop` ends the listening early, for a prompt whose end the client may never see. */
  return { events, done, stop: () => finish() };
}

/** Posts `graph` and waits for its end; its events. */
export async function run(client: Client, graph: ComfyGraph) {
  const promptId = randomUUID();
  const { done } = listen(client, promptId);
  await post(client, graph, promptId);
  return { promptId, events: await done };
}

/** GET /history/{id}: the entry, or undefined until the prompt has ended. */
export async function history(client: Client, promptId: string) {
  const res = await client.fetchApi(`/history/${promptId}`);
  // biome-ignore lint/suspicious/noExplicitAny: a history entry is read field by field in assertions
  return ((await res.json()) as Record<string, Record<string, any>>)[promptId];
}

/** The images of the prompt's one `executed` event. */
export function outputImages(events: Event[]): Array<Record<string, string>> {
  const executed = events.filter(([t]) => t === "executed");
  assert.equal(executed.length, 1, `one executed event: ${JSON.stringify(events)}`);
  return (executed[0][1].output as { images: Array<Record<string, string>> }).images;
}

/** The 400/409 answer to posting `graph`. */
export async function refusal(client: Client, graph: unknown, promptId?: string): Promise<HttpError> {
  const error = await post(client, graph as ComfyGraph, promptId).then(
    () => assert.fail("the prompt was accepted"),
    (e: HttpError) => e,
  );
  assert.equal(error.name, "HttpError");
  return error;
}
