/**
 * A stored workflow's graph made ready for one job: a deep copy with each bound input set from the job's
 * `inputs` (image inputs get the file name the worker uploaded to ComfyUI), a random seed through a `seed`
 * binding the job left unset, and every output node's `filename_prefix` set to the job's prefix so its files
 * land in the job's own subfolder.
 */
import { type Binding, Bindings } from "../job_types/workflow_bindings.ts";
import { asComfyGraph, type ComfyGraph } from "./graph.ts";

export interface WorkflowSetup {
  outputPrefix: string;
  /** Maps an image ref (URL or `upload:<id>`) to its file name in ComfyUI's input folder. */
  uploadedName: (ref: string) => string;
  randomSeed: () => number;
}

/** The bindings stored with a workflow, checked; absent means the workflow takes no inputs. */
export function workflowBindingsOf(stored: unknown): Record<string, Binding> {
  const parsed = Bindings.safeParse(stored ?? {});
  if (!parsed.success) throw new Error(`malformed workflow bindings: ${parsed.error.message}`);
  return parsed.data;
}

/** The image refs among `inputs`: the values of image-typed bindings. */
export function workflowImageRefs(bindings: Record<string, Binding>, inputs: Record<string, unknown>): string[] {
  return Object.entries(bindings)
    .filter(([name, b]) => b.type === "image" && typeof inputs[name] === "string")
    .map(([name]) => inputs[name] as string);
}

/** The job's graph and, when the workflow binds a `seed`, the seed it runs with; `inputs` are checked ones. */
export function workflowGraph(
  storedGraph: unknown,
  bindings: Record<string, Binding>,
  checkedInputs: Record<string, unknown>,
  setup: WorkflowSetup,
): { graph: ComfyGraph; seed?: number } {
  const graph = structuredClone(asComfyGraph(storedGraph));
  const inputs = { ...checkedInputs };
  let seed: number | undefined;
  if (bindings.seed) {
    seed = typeof inputs.seed === "number" ? inputs.seed : setup.randomSeed();
    inputs.seed = seed;
  }
  for (const [name, b] of Object.entries(bindings)) {
    const value = inputs[name];
    if (value === undefined) continue;
    const node = graph[b.node];
    if (!node) throw new Error(`binding ${name} names node ${b.node}, which the workflow's graph does not have`);
    node.inputs[b.input] = b.type === "image" ? setup.uploadedName(String(value)) : value;
  }
  for (const node of Object.values(graph)) {
    if (typeof node.inputs.filename_prefix === "string") node.inputs.filename_prefix = setup.outputPrefix;
  }
  return seed === undefined ? { graph } : { graph, seed };
}
