/**
 * What a job needs of a worker's ComfyUI: the model files its graph loads and, for stored workflows, the node types
 * it uses. Read off the very graph the worker will build (build_graph.ts), so the two cannot disagree. Claims hand a
 * job only to a worker whose registered capabilities contain all of it (`capabilities.can @> requirements` in
 * kiln.claim_jobs), and a job no online worker could run says so. A job that names no checkpoint runs with each
 * worker's default: it requires some checkpoint, any (`"*"`, which a worker with at least one also lists).
 */
import { buildGraph, type GraphJob, imageRefsOf } from "./build_graph.ts";
import type { ComfyGraph } from "./graph.ts";

/** Model kinds as workers report them (worker/comfy_capabilities.ts) → the loader input that names one. */
export const MODEL_LOADERS: Record<string, [input: string, kind: string]> = {
  CheckpointLoaderSimple: ["ckpt_name", "checkpoints"],
  UpscaleModelLoader: ["model_name", "upscale_models"],
  LoraLoader: ["lora_name", "loras"],
  LoraLoaderModelOnly: ["lora_name", "loras"],
  VAELoader: ["vae_name", "vae"],
};

/** `{checkpoints: [...], upscale_models: [...], loras: [...], vae: [...], node_types: [...]}`, each only if needed. */
export type Requirements = Partial<Record<string, string[]>>;

/** A stand-in for the worker's default checkpoint: never a real file name; it requires ANY_MODEL. */
const DEFAULT_CHECKPOINT = "\u0000the worker's default";

/** "Some file of this kind, whichever": what a worker that has at least one also lists. */
export const ANY_MODEL = "*";

/** The requirements of a graph: its loaders' literal model names, and its node types when `nodeTypes`. */
export function graphRequirements(graph: ComfyGraph, nodeTypes: boolean): Requirements {
  const found: Record<string, Set<string>> = {};
  const add = (kind: string, value: string) => {
    found[kind] = (found[kind] ?? new Set()).add(value);
  };
  for (const node of Object.values(graph)) {
    if (nodeTypes) add("node_types", node.class_type);
    const loader = MODEL_LOADERS[node.class_type];
    const value = loader ? node.inputs?.[loader[0]] : undefined;
    if (loader && typeof value === "string") add(loader[1], value === DEFAULT_CHECKPOINT ? ANY_MODEL : value);
  }
  return Object.fromEntries(Object.entries(found).map(([kind, values]) => [kind, [...values].sort()]));
}

/** The requirements of `job` (with its stored workflow's graph and bindings, if any); `{}` if it cannot be built. */
export function requirementsOf(job: GraphJob, workflow?: { graph: unknown; bindings: unknown }): Requirements {
  try {
    const refs = imageRefsOf(job, workflow?.bindings);
    const { graph } = buildGraph(job, {
      inputImages: Object.fromEntries(refs.map((ref) => [ref, "input.png"])),
      workflowGraph: workflow?.graph,
      workflowBindings: workflow?.bindings,
      defaultCheckpoint: DEFAULT_CHECKPOINT,
      randomSeed: () => 0,
    });
    return graphRequirements(graph, job.type === "workflow");
  } catch {
    return {};
  }
}

/** What of `requirements` a worker with `can` lacks, by kind; empty when it can run the job. */
export function missingFrom(can: Requirements, requirements: Requirements): Requirements {
  const missing: Requirements = {};
  for (const [kind, needed] of Object.entries(requirements)) {
    const have = new Set(can[kind] ?? []);
    const lacking = (needed ?? []).filter((name) => !have.has(name));
    if (lacking.length > 0) missing[kind] = lacking;
  }
  return missing;
}
