/**
 * The ComfyUI node classes Kiln's built-in job types use, in the shape `GET /object_info` answers with, as
 * ComfyUI v0.3.64 defines them (nodes.py, comfy_extras/nodes_upscale_model.py); tooltips are left out. The
 * simulator validates prompts against this catalogue and serves it; the worker can compare it with a real
 * server's. Model and input-file lists depend on the machine, so they are parameters.
 */
import { SAMPLERS, SCHEDULERS } from "../job_types/fields.ts";

/** A type name ("INT", "IMAGE") or, for a combo box, the list of allowed values. */
export type InputType = string | readonly string[];

export interface InputOptions {
  default?: unknown;
  min?: number;
  max?: number;
  step?: number;
  round?: number;
  multiline?: boolean;
  dynamicPrompts?: boolean;
  image_upload?: boolean;
  control_after_generate?: boolean;
  tooltip?: string;
}

/** `["IMAGE"]` or `["INT", {min, max, …}]`, as Python's `("INT", {...})` tuples serialize. */
export type InputSpec = readonly [InputType] | readonly [InputType, InputOptions];

export interface NodeDefinition {
  input: {
    required: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, string>;
  };
  input_order: { required: string[]; optional?: string[]; hidden?: string[] };
  output: string[];
  output_is_list: boolean[];
  output_name: string[];
  name: string;
  display_name: string;
  description: string;
  python_module: string;
  category: string;
  output_node: boolean;
  /** 0.17's extra keys: whether the node takes its inputs as lists, its outputs' tooltips, other search names. */
  is_input_list: boolean;
  output_tooltips: string[];
  search_aliases: string[];
}

/** nodes.MAX_RESOLUTION. */
export const MAX_RESOLUTION = 16384;
/** KSampler's seed maximum, 0xffffffffffffffff = 2⁶⁴ − 1, which a JavaScript number can only hold as 2⁶⁴. */
export const SEED_MAX = 2 ** 64;
export const UPSCALE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"] as const;
const CROP_METHODS = ["disabled", "center"] as const;
const SAVE_HIDDEN = { prompt: "PROMPT", extra_pnginfo: "EXTRA_PNGINFO" };

interface Spec {
  display: string;
  category: string;
  description?: string;
  required: Record<string, InputSpec>;
  hidden?: Record<string, string>;
  outputs?: string[];
  outputNode?: boolean;
  module?: string;
}

function node(name: string, spec: Spec): NodeDefinition {
  const outputs = spec.outputs ?? [];
  return {
    input: { required: spec.required, ...(spec.hidden ? { hidden: spec.hidden } : {}) },
    input_order: {
      required: Object.keys(spec.required),
      ...(spec.hidden ? { hidden: Object.keys(spec.hidden) } : {}),
    },
    output: outputs,
    output_is_list: outputs.map(() => false),
    output_name: outputs,
    name,
    display_name: spec.display,
    description: spec.description ?? "",
    python_module: spec.module ?? "nodes",
    category: spec.category,
    output_node: spec.outputNode ?? false,
    is_input_list: false,
    output_tooltips: outputs.map(() => ""),
    search_aliases: [],
  };
}

const side = { default: 512, min: 16, max: MAX_RESOLUTION, step: 8 };
const targetSide = { default: 512, min: 0, max: MAX_RESOLUTION, step: 1 };
const UPSCALE_MODULE = "comfy_extras.nodes_upscale_model";

/** The catalogue, with the machine's model files and (for LoadImage) the files in ComfyUI's input folder. */
export function nodeCatalog(models: {
  checkpoints: readonly string[];
  upscale_models: readonly string[];
  input_images?: readonly string[];
}): Record<string, NodeDefinition> {
  const sorted = (list: readonly string[] = []) => [...list].sort();
  const defs = [
    node("CheckpointLoaderSimple", {
      display: "Load Checkpoint",
      category: "loaders",
      description: "Loads a diffusion model checkpoint, diffusion models are used to denoise latents.",
      required: { ckpt_name: [sorted(models.checkpoints), { tooltip: "The name of the checkpoint (model) to load." }] },
      outputs: ["MODEL", "CLIP", "VAE"],
    }),
    node("CLIPTextEncode", {
      display: "CLIP Text Encode (Prompt)",
      category: "conditioning",
      description:
        "Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion " +
        "model towards generating specific images.",
      required: { text: ["STRING", { multiline: true, dynamicPrompts: true }], clip: ["CLIP"] },
      outputs: ["CONDITIONING"],
    }),
    node("EmptyLatentImage", {
      display: "Empty Latent Image",
      category: "latent",
      description: "Create a new batch of empty latent images to be denoised via sampling.",
      required: { width: ["INT", side], height: ["INT", side], batch_size: ["INT", { default: 1, min: 1, max: 4096 }] },
      outputs: ["LATENT"],
    }),
    node("KSampler", {
      display: "KSampler",
      category: "sampling",
      description: "Uses the provided model, positive and negative conditioning to denoise the latent image.",
      required: {
        model: ["MODEL"],
        seed: ["INT", { default: 0, min: 0, max: SEED_MAX, control_after_generate: true }],
        steps: ["INT", { default: 20, min: 1, max: 10000 }],
        cfg: ["FLOAT", { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01 }],
        sampler_name: [SAMPLERS],
        scheduler: [SCHEDULERS],
        positive: ["CONDITIONING"],
        negative: ["CONDITIONING"],
        latent_image: ["LATENT"],
        denoise: ["FLOAT", { default: 1.0, min: 0.0, max: 1.0, step: 0.01 }],
      },
      outputs: ["LATENT"],
    }),
    node("VAEDecode", {
      display: "VAE Decode",
      category: "latent",
      description: "Decodes latent images back into pixel space images.",
      required: { samples: ["LATENT"], vae: ["VAE"] },
      outputs: ["IMAGE"],
    }),
    node("VAEEncode", {
      display: "VAE Encode",
      category: "latent",
      required: { pixels: ["IMAGE"], vae: ["VAE"] },
      outputs: ["LATENT"],
    }),
    node("RepeatLatentBatch", {
      display: "Repeat Latent Batch",
      category: "latent/batch",
      required: { samples: ["LATENT"], amount: ["INT", { default: 1, min: 1, max: 64 }] },
      outputs: ["LATENT"],
    }),
    node("SaveImage", {
      display: "Save Image",
      category: "image",
      description: "Saves the input images to your ComfyUI output directory.",
      required: { images: ["IMAGE"], filename_prefix: ["STRING", { default: "ComfyUI" }] },
      hidden: SAVE_HIDDEN,
      outputNode: true,
    }),
    node("PreviewImage", {
      display: "Preview Image",
      category: "image",
      description: "Saves the input images to your ComfyUI output directory.",
      required: { images: ["IMAGE"] },
      hidden: SAVE_HIDDEN,
      outputNode: true,
    }),
    node("LoadImage", {
      display: "Load Image",
      category: "image",
      required: { image: [sorted(models.input_images), { image_upload: true }] },
      outputs: ["IMAGE", "MASK"],
    }),
    node("ImageScale", {
      display: "Upscale Image",
      category: "image/upscaling",
      required: {
        image: ["IMAGE"],
        upscale_method: [UPSCALE_METHODS],
        width: ["INT", targetSide],
        height: ["INT", targetSide],
        crop: [CROP_METHODS],
      },
      outputs: ["IMAGE"],
    }),
    node("ImageScaleBy", {
      display: "Upscale Image By",
      category: "image/upscaling",
      required: {
        image: ["IMAGE"],
        upscale_method: [UPSCALE_METHODS],
        scale_by: ["FLOAT", { default: 1.0, min: 0.01, max: 8.0, step: 0.01 }],
      },
      outputs: ["IMAGE"],
    }),
    node("UpscaleModelLoader", {
      display: "Load Upscale Model",
      category: "loaders",
      required: { model_name: [sorted(models.upscale_models)] },
      outputs: ["UPSCALE_MODEL"],
      module: UPSCALE_MODULE,
    }),
    node("ImageUpscaleWithModel", {
      display: "Upscale Image (using Model)",
      category: "image/upscaling",
      required: { upscale_model: ["UPSCALE_MODEL"], image: ["IMAGE"] },
      outputs: ["IMAGE"],
      module: UPSCALE_MODULE,
    }),
  ];
  return Object.fromEntries(defs.map((d) => [d.name, d]));
}

/**
 * The factor an upscale model enlarges by, read from its file name ("RealESRGAN_x4plus.pth" → 4,
 * "4x-UltraSharp.pth" → 4, "RealESRGAN_x2plus.pth" → 2); 4 when the name does not say, as most such models are.
 * ComfyUI itself learns it from the model's weights; the name is what a graph builder has.
 */
export function upscaleFactorOf(modelName: string): number {
  const match = /(?:^|[^a-z0-9])(?:x([1-8])|([1-8])x)(?![0-9])/i.exec(modelName);
  return Number(match?.[1] ?? match?.[2] ?? 4);
}
