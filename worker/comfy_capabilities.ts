/**
 * What a ComfyUI instance offers, for `register`: its version and devices from `/system_stats`, and its model
 * files from `/object_info/<loader>` (the combo list of each loader's model input). An instance that does not
 * answer is described by its URL alone; the worker registers anyway and claims for it once it is up.
 */
import type { ComfyInstance } from "../shared/worker_protocol.ts";
import type { ComfyConnection } from "./comfy_connection.ts";
import { redactUrl } from "./config.ts";

/** Loader node → [its model input, the model kind it lists]. */
const MODEL_LOADERS: Record<string, [input: string, kind: string]> = {
  CheckpointLoaderSimple: ["ckpt_name", "checkpoints"],
  UpscaleModelLoader: ["model_name", "upscale_models"],
  LoraLoader: ["lora_name", "loras"],
  VAELoader: ["vae_name", "vae"],
};

interface SystemStats {
  system?: { comfyui_version?: unknown };
  devices?: Array<{ name?: unknown; type?: unknown; vram_total?: unknown; vram_free?: unknown }>;
}

const nonNegative = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The instance's description; what cannot be read is left out. */
export async function describeInstance(conn: ComfyConnection): Promise<ComfyInstance> {
  const instance: ComfyInstance = { url: redactUrl(conn.url), devices: [], models: {} };
  try {
    const stats = await conn.json<SystemStats>("/system_stats", {}, 5000);
    if (typeof stats.system?.comfyui_version === "string") {
      instance.comfyui_version = stats.system.comfyui_version.slice(0, 100);
    }
    instance.devices = (stats.devices ?? []).slice(0, 16).map((d) => {
      const total = nonNegative(d.vram_total);
      const free = nonNegative(d.vram_free);
      return {
        name: String(d.name ?? "unknown").slice(0, 200),
        type: String(d.type ?? "unknown").slice(0, 50),
        ...(total === undefined ? {} : { vram_total: total }),
        ...(free === undefined ? {} : { vram_free: free }),
      };
    });
  } catch {
    return instance;
  }
  for (const [loader, [input, kind]] of Object.entries(MODEL_LOADERS)) {
    const names = await modelList(conn, loader, input);
    if (names) instance.models[kind] = names.slice(0, 2000).map((n) => n.slice(0, 300));
  }
  return instance;
}

/** The model files a loader node offers, or undefined when the instance has no such node. */
export async function modelList(conn: ComfyConnection, loader: string, input: string): Promise<string[] | undefined> {
  try {
    const info = await conn.json<Record<string, { input?: { required?: Record<string, unknown[]> } }>>(
      `/object_info/${loader}`,
      {},
      10_000,
    );
    const spec = info[loader]?.input?.required?.[input]?.[0];
    // Older servers list the names directly; newer ones as ["COMBO", {options: [...]}].
    if (Array.isArray(spec)) return spec.filter((n): n is string => typeof n === "string");
    const options = (info[loader]?.input?.required?.[input]?.[1] as { options?: unknown } | undefined)?.options;
    return Array.isArray(options) ? options.filter((n): n is string => typeof n === "string") : undefined;
  } catch {
    return undefined;
  }
}

/** The checkpoint jobs without one run with: the configured one, else the first the instance lists. */
export async function defaultCheckpointOf(conn: ComfyConnection, configured?: string): Promise<string | undefined> {
  if (configured) return configured;
  return (await modelList(conn, "CheckpointLoaderSimple", "ckpt_name"))?.[0];
}
