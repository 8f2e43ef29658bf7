/**
 * The ComfyUI graphs of the built-in job types, from their parsed params. Node ids follow ComfyUI's default
 * txt2img workflow ("4" checkpoint, "6"/"7" prompts, "5" latent, "3" KSampler, "8" decode, "9" save), so the
 * ids in progress events and errors read the same as in the ComfyUI frontend.
 */
import type { z } from "@hono/zod-openapi";
import type { Img2ImgParams } from "../job_types/img2img.ts";
import type { Txt2ImgParams } from "../job_types/txt2img.ts";
import type { UpscaleParams } from "../job_types/upscale.ts";
import type { ComfyGraph, GraphNode, Link } from "./graph.ts";
import { upscaleFactorOf } from "./nodes.ts";

/** What the builders need besides params: the output prefix and the input image's file name. */
export interface GraphSetup {
  outputPrefix: string;
  /** The input image's file name in ComfyUI's input folder (img2img, upscale). */
  inputImage?: string;
}

/** txt2img and img2img also need the resolved checkpoint and seed. */
export interface SamplingSetup extends GraphSetup {
  checkpoint: string;
  seed: number;
}

const n = (class_type: string, title: string, inputs: Record<string, unknown>): GraphNode => ({
  class_type,
  inputs,
  _meta: { title },
});

type Sampling = z.output<typeof Txt2ImgParams>;

/** Checkpoint, prompts, KSampler on `latent`, decode and save: what txt2img and img2img share. */
function samplingGraph(p: Sampling, s: SamplingSetup, latent: Link, denoise: number): ComfyGraph {
  return {
    "4": n("CheckpointLoaderSimple", "Load Checkpoint", { ckpt_name: s.checkpoint }),
    "6": n("CLIPTextEncode", "Positive prompt", { text: p.prompt, clip: ["4", 1] }),
    "7": n("CLIPTextEncode", "Negative prompt", { text: p.negative_prompt, clip: ["4", 1] }),
    "3": n("KSampler", "KSampler", {
      seed: s.seed,
      steps: p.steps,
      cfg: p.cfg,
      sampler_name: p.sampler,
      scheduler: p.scheduler,
      denoise,
      model: ["4", 0],
      positive: ["6", 0],
      negative: ["7", 0],
      latent_image: latent,
    }),
    "8": n("VAEDecode", "VAE Decode", { samples: ["3", 0], vae: ["4", 2] }),
    "9": n("SaveImage", "Save Image", { filename_prefix: s.outputPrefix, images: ["8", 0] }),
  };
}

/** txt2img: an empty latent of width × height × batch_size, sampled at full denoise. */
export function txt2imgGraph(p: Sampling, s: SamplingSetup): ComfyGraph {
  return {
    ...samplingGraph(p, s, ["5", 0], 1),
    "5": n("EmptyLatentImage", "Empty Latent Image", {
      width: p.width,
      height: p.height,
      batch_size: p.batch_size,
    }),
  };
}

/**
 * img2img: the input scaled to exactly width × height (lanczos, no crop, so the aspect ratio follows the
 * request), encoded, repeated batch_size times when more than one image is asked for, then sampled at `denoise`.
 * ComfyUI runs all `steps` steps whatever the denoise (it stretches the schedule to steps / denoise).
 */
export function img2imgGraph(p: z.output<typeof Img2ImgParams>, s: SamplingSetup): ComfyGraph {
  const latent: Link = p.batch_size > 1 ? ["13", 0] : ["12", 0];
  return {
    "10": n("LoadImage", "Load Image", { image: required(s.inputImage) }),
    "11": n("ImageScale", "Scale to size", {
      upscale_method: "lanczos",
      width: p.width,
      height: p.height,
      crop: "disabled",
      image: ["10", 0],
    }),
    "12": n("VAEEncode", "VAE Encode", { pixels: ["11", 0], vae: ["4", 2] }),
    ...(p.batch_size > 1
      ? { "13": n("RepeatLatentBatch", "Repeat Latent Batch", { samples: ["12", 0], amount: p.batch_size }) }
      : {}),
    ...samplingGraph(p, s, latent, p.denoise),
  };
}

/**
 * upscale: the input through the upscale model. A model's factor is fixed (see upscaleFactorOf), so when it
 * differs from the requested scale an ImageScaleBy (lanczos) follows with scale / factor: 2× with a 4× model
 * runs the model and halves the result, which looks better than a plain 2× resize.
 */
export function upscaleGraph(p: z.output<typeof UpscaleParams>, s: GraphSetup): ComfyGraph {
  const resize = p.scale / upscaleFactorOf(p.model);
  const upscaled: Link = resize === 1 ? ["3", 0] : ["4", 0];
  return {
    "1": n("LoadImage", "Load Image", { image: required(s.inputImage) }),
    "2": n("UpscaleModelLoader", "Load Upscale Model", { model_name: p.model }),
    "3": n("ImageUpscaleWithModel", "Upscale Image (using Model)", { upscale_model: ["2", 0], image: ["1", 0] }),
    ...(resize === 1
      ? {}
      : {
          "4": n("ImageScaleBy", "Scale to requested size", {
            upscale_method: "lanczos",
            scale_by: resize,
            image: ["3", 0],
          }),
        }),
    "5": n("SaveImage", "Save Image", { filename_prefix: s.outputPrefix, images: upscaled }),
  };
}

function required(inputImage: string | undefined): string {
  if (inputImage === undefined) throw new Error("the graph needs its input image's uploaded file name");
  return inputImage;
}
