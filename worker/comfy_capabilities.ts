/**
 * What a ComfyUI instance offers, for `register`: its version and devices from `/system_stats`, and from one
 * `/object_info` its node types and its model files (the combo list of each loader's model input). Claims match
 * these against what each job needs (shared/comfyui/requirements.ts). An instance that does not answer is described
 * by its URL alone; the worker registers anyway and claims for it once it is up.
 */
import { MODEL_LOADERS } from "../shared/comfyui/requirements.ts";
import type { ComfyInstance } from "../shared/worker_protocol.ts";
import type { ComfyConnection } from "./comfy_connection.ts";
import { redactUrl } from "./config.ts";

interface SystemStats {
  system?: { comfyui_version?: unknown };
  devices?: Array<{ name?: unknown; type?: unknown; vram_total?: unknown; vram_free?: unknown }>;
}

const nonNegative = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);

/**
 * The routes Kiln cannot do without, each with what it needs it for. A server that answers 404 for one (a build
 * too old, or a proxy that hides it) is refused by name; old servers otherwise work (see comfy_prompt.ts).
 */
const NEEDED_ROUTES: [route: string, why: string][] = [
  ["/queue", "to cancel a prompt safely"],
  ["/history", "to learn how a prompt ended"],
  ["/object_info", "to know its models and nodes"],
];

/** What this ComfyUI lacks that Kiln needs, in words; undefined when it has it all (or cannot be asked now). */
export async function missingRoutes(conn: ComfyConnection): Promise<string | undefined> {
  const lacking: string[] = [];
  for (const [route, why] of NEEDED_ROUTES) {
    try {
      const response = await fetch(`${conn.url}${route}`, { signal: AbortSignal.timeout(10_000) });
      await response.body?.cancel();
      if (response.status === 404) lacking.push(`${route} (${why})`);
    } catch {
      return undefined; // Unreachable: nothing to judge until it is back.
    }
  }
  return lacking.length > 0 ? `it has no ${lacking.join(", no ")}` : undefined;
}

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
  let info: ObjectInfo;
  try {
    info = await conn.json<ObjectInfo>("/object_info", {}, 30_000);
  } catch {
    return instance;
  }
  instance.node_types = Object.keys(info)
    .slice(0, 10_000)
    .map((n) => n.slice(0, 200));
  for (const [loader, [input, kind]] of Object.entries(MODEL_LOADERS)) {
    const names = comboOf(info, loader, input);
    if (names)
      instance.models[kind] = [...new Set([...(instance.models[kind] ?? []), ...names])]
        .slice(0, 2000)
        .map((n) => n.slice(0, 300));
  }
  return instance;
}

type ObjectInfo = Record<string, { input?: { required?: Record<string, unknown[]> } }>;

/** The names a loader's combo input lists, or undefined when the instance has no such node. */
function comboOf(info: ObjectInfo, loader: string, input: string): string[] | undefined {
  const spec = info[loader]?.input?.required?.[input];
  // Older servers list the names directly; newer ones as ["COMBO", {options: [...]}].
  if (Array.isArray(spec?.[0])) return (spec[0] as unknown[]).filter((n): n is string => typeof n === "string");
  const options = (spec?.[1] as { options?: unknown } | undefined)?.options;
  return Array.isArray(options) ? options.filter((n): n is string => typeof n === "string") : undefined;
}

/** The model files a loader node offers, or undefined when the instance has no such node. */
export async function modelList(conn: ComfyConnection, loader: string, input: string): Promise<string[] | undefined> {
  try {
    return comboOf(await conn.json<ObjectInfo>(`/object_info/${loader}`, {}, 10_000), loader, input);
  } catch {
    return undefined;
  }
}

/** The checkpoint jobs without one run with: the configured one, else the first the instance lists. */
export async function defaultCheckpointOf(conn: ComfyConnection, configured?: string): Promise<string | undefined> {
  if (configured) return configured;
  return (await modelList(conn, "CheckpointLoaderSimple", "ckpt_name"))?.[0];
}
