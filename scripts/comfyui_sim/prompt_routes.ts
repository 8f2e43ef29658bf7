/**
 * The queue's routes, after ComfyUI's server.py: POST /prompt (validate, then queue or refuse with 400; a
 * prompt_id already used is accepted, and its history entry is overwritten when it runs again, as 0.17 does),
 * GET /prompt, POST /interrupt (only the named prompt if it is the running one; no body: whatever runs),
 * GET/POST /queue and GET/POST /history. The `comfyui-2024` profile ignores a client's prompt_id and interrupts
 * whatever runs, whatever the body names.
 */
import { randomUUID } from "node:crypto";
import { UUID_PATTERN } from "../../shared/uuid.ts";
import { FileStore } from "./file_store.ts";
import { empty, type Handler, isObject, json, jsonBody } from "./route_context.ts";
import { validatePrompt } from "./validate_prompt.ts";

const promptError = (type: string, message: string, details = "") => ({
  error: { type, message, details, extra_info: {} },
  node_errors: {},
});

export const postPrompt: Handler = async (req, state) => {
  const body = await jsonBody(req);
  if (!isObject(body)) return json(promptError("no_prompt", "No prompt provided", "No prompt provided"), 400);
  const number = "number" in body ? Number(body.number) : state.queue.number(body.front === true);
  if (!("prompt" in body)) return json(promptError("no_prompt", "No prompt provided", "No prompt provided"), 400);
  const honoured = state.profile !== "comfyui-2024" && body.prompt_id !== undefined && body.prompt_id !== null;
  const given = honoured ? String(body.prompt_id) : undefined;
  const promptId = given === undefined ? randomUUID() : UUID_PATTERN.test(given) ? given.toLowerCase() : given;
  const validation = validatePrompt(
    body.prompt,
    {
      profile: state.profile,
      catalog: state.catalog(),
      inputImageExists: (name) => state.files.get(FileStore.parseAnnotated(name)) !== undefined,
    },
    body.partial_execution_targets,
  );
  if (!validation.ok) return json({ error: validation.error, node_errors: validation.nodeErrors }, 400);
  const extraData: Record<string, unknown> = isObject(body.extra_data) ? { ...body.extra_data } : {};
  if ("client_id" in body) extraData.client_id = body.client_id;
  extraData.create_time = Date.now();
  state.queue.put({ number, promptId, prompt: validation.prompt, extraData, outputs: validation.outputs });
  state.prompts++;
  // After the answer is written, as ComfyUI's prompt worker thread picks the prompt up: the answer comes first.
  setImmediate(() => state.executor.kick());
  return json({ prompt_id: promptId, number, node_errors: validation.nodeErrors });
};

export const getPrompt: Handler = (_req, state) => json({ exec_info: { queue_remaining: state.queue.remaining() } });

export const postInterrupt: Handler = async (req, state) => {
  const body = await jsonBody(req);
  const targeted = state.profile !== "comfyui-2024" && isObject(body) && body.prompt_id;
  const target = targeted ? String(body.prompt_id) : undefined;
  const running = state.queue.running;
  if (running && (target === undefined || target === running.promptId)) state.executor.interrupt();
  return empty();
};

export const getQueue: Handler = (_req, state) => json(state.queue.queueJson());

export const postQueue: Handler = async (req, state) => {
  const body = await jsonBody(req);
  if (isObject(body) && body.clear === true) state.queue.remove("all");
  if (isObject(body) && Array.isArray(body.delete)) state.queue.remove(body.delete.map(String));
  return empty();
};

export const getHistory: Handler = (req, state) => {
  const max = req.url.searchParams.get("max_items");
  return json(state.queue.historyJson(max === null ? undefined : Number(max)));
};

export const getHistoryEntry: Handler = (_req, state, match) => {
  const id = decodeURIComponent(match[1]);
  const entry = state.queue.history.get(id);
  return json(entry ? { [id]: entry } : {});
};

export const postHistory: Handler = async (req, state) => {
  const body = await jsonBody(req);
  if (isObject(body) && body.clear === true) state.queue.history.clear();
  if (isObject(body) && Array.isArray(body.delete))
    for (const id of body.delete) state.queue.history.delete(String(id));
  return empty();
};
