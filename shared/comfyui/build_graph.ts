/**
 * A job → the ComfyUI graph that runs it. The worker calls `imageRefsOf` to learn which input images to fetch
 * and upload to ComfyUI, then `buildGraph` with the uploaded file names. Params are parsed again with the job
 * type's own schema (defaults applied), so a graph is only ever built from valid params. The seed is chosen
 * here: ComfyUI never randomizes one, and serves an identical graph from its cache.
 */
import type { z } from "@hono/zod-openapi";
import { MAX_SEED } from "../job_types/fields.ts";
import { Img2ImgParams } from "../job_types/img2img.ts";
import { Txt2ImgParams } from "../job_types/txt2img.ts";
import { UpscaleParams } from "../job_types/upscale.ts";
import { WorkflowParams } from "../job_types/workflow.ts";
import { inputsSchema } from "../job_types/workflow_bindings.ts";
import { img2imgGraph, type SamplingSetup, txt2imgGraph, upscaleGraph } from "./builtin_graphs.ts";
import type { ComfyGraph } from "./graph.ts";
import { workflowBindingsOf, workflowGraph, workflowImageRefs } from "./workflow_graph.ts";

export interface GraphJob {
  id: string;
  type: string;
  params: Record<string, unknown>;
}

export interface BuildGraphOptions {
  /** Image ref (https URL or `upload:<id>`) → the file name it was uploaded as in ComfyUI's input folder. */
  inputImages?: Readonly<Record<string, string>>;
  /** workflow jobs: the stored graph, in ComfyUI's API format. */
  workflowGraph?: unknown;
  /** workflow jobs: the stored bindings, `{name: {node, input, type?}}`. */
  workflowBindings?: unknown;
  /** The checkpoint for a txt2img/img2img job that names none (the worker's default). */
  defaultCheckpoint?: string;
  /** A seed in 0..2³²−1 for jobs that fixed none; `randomSeed` by default. */
  randomSeed?: () => number;
}

export interface BuiltGraph {
  graph: ComfyGraph;
  /** `kiln/<job id>/out`: ComfyUI saves `out_00001_.png`, … in the subfolder `kiln/<job id>`. */
  outputPrefix: string;
  /** The seed the graph samples with (txt2img, img2img, workflows with a `seed` binding). */
  seed?: number;
}

/** A uniformly random seed in 0..2³²−1 (fields.ts MAX_SEED), from the Web Crypto API. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** The `filename_prefix` of a job's output files; job ids are UUIDs, anything path-like is refused. */
export function outputPrefixOf(jobId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(jobId)) throw new Error(`job id ${JSON.stringify(jobId)} cannot name a folder`);
  return `kiln/${jobId}/out`;
}

/** The input images a job needs, as the refs its params hold (https URLs or `upload:<id>`), without repeats. */
export function imageRefsOf(job: GraphJob, workflowBindings?: unknown): string[] {
  switch (job.type) {
    case "txt2img":
      return [];
    case "img2img":
    case "upscale":
      return typeof job.params.image === "string" ? [job.params.image] : [];
    case "workflow": {
      const inputs = (job.params.inputs ?? {}) as Record<string, unknown>;
      return [...new Set(workflowImageRefs(workflowBindingsOf(workflowBindings), inputs))];
    }
    default:
      throw new Error(`unknown job type ${job.type}`);
  }
}

/** The graph that runs `job`, its output prefix and seed. Throws on params or options it cannot build from. */
export function buildGraph(job: GraphJob, options: BuildGraphOptions = {}): BuiltGraph {
  const outputPrefix = outputPrefixOf(job.id);
  const pickSeed = () => checkedSeed((options.randomSeed ?? randomSeed)());
  const uploadedName = (ref: string) => {
    const name = options.inputImages?.[ref];
    if (name === undefined) throw new Error(`input image ${ref} has not been uploaded to ComfyUI`);
    return name;
  };
  const setup = (seed: number | undefined, checkpoint: string | undefined, image?: string): SamplingSetup => {
    const ckpt = checkpoint ?? options.defaultCheckpoint;
    if (ckpt === undefined) throw new Error("the job names no checkpoint and no default checkpoint was given");
    return {
      checkpoint: ckpt,
      seed: seed ?? pickSeed(),
      outputPrefix,
      ...(image === undefined ? {} : { inputImage: uploadedName(image) }),
    };
  };
  switch (job.type) {
    case "txt2img": {
      const p = parsed(Txt2ImgParams, job.params);
      const s = setup(p.seed, p.checkpoint);
      return { graph: txt2imgGraph(p, s), outputPrefix, seed: s.seed };
    }
    case "img2img": {
      const p = parsed(Img2ImgParams, job.params);
      const s = setup(p.seed, p.checkpoint, p.image);
      return { graph: img2imgGraph(p, s), outputPrefix, seed: s.seed };
    }
    case "upscale": {
      const p = parsed(UpscaleParams, job.params);
      return { graph: upscaleGraph(p, { outputPrefix, inputImage: uploadedName(p.image) }), outputPrefix };
    }
    case "workflow": {
      const bindings = workflowBindingsOf(options.workflowBindings);
      const inputs = parsed(inputsSchema(bindings), parsed(WorkflowParams, job.params).inputs, "inputs");
      const built = workflowGraph(options.workflowGraph, bindings, inputs, {
        outputPrefix,
        uploadedName,
        randomSeed: pickSeed,
      });
      return { ...built, outputPrefix };
    }
    default:
      throw new Error(`unknown job type ${job.type}`);
  }
}

/** `schema`'s output for `value`, or an Error that says, field by field, what is wrong. */
function parsed<T>(schema: z.ZodType<T>, value: unknown, field?: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `${[field, ...i.path].join(".").replace(/^\./, "") || "params"}: ${i.message}`,
  );
  throw new Error(`invalid job params: ${problems.join("; ")}`);
}

function checkedSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new Error(`seed ${seed} is not in 0..${MAX_SEED}`);
  return seed;
}
