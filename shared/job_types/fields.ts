/**
 * The parameter fields the built-in job types share, each with its limits and the one friendly message a
 * client sees when a value is missing or out of range ("width must be a multiple of 8 between 64 and 2048").
 * The lists of samplers and schedulers are ComfyUI's (comfy/samplers.py, v0.3.64).
 */
import { z } from "@hono/zod-openapi";

export const SAMPLERS = [
  "euler",
  "euler_cfg_pp",
  "euler_ancestral",
  "euler_ancestral_cfg_pp",
  "heun",
  "heunpp2",
  "dpm_2",
  "dpm_2_ancestral",
  "lms",
  "dpm_fast",
  "dpm_adaptive",
  "dpmpp_2s_ancestral",
  "dpmpp_2s_ancestral_cfg_pp",
  "dpmpp_sde",
  "dpmpp_sde_gpu",
  "dpmpp_2m",
  "dpmpp_2m_cfg_pp",
  "dpmpp_2m_sde",
  "dpmpp_2m_sde_gpu",
  "dpmpp_3m_sde",
  "dpmpp_3m_sde_gpu",
  "ddpm",
  "lcm",
  "ipndm",
  "ipndm_v",
  "deis",
  "res_multistep",
  "res_multistep_cfg_pp",
  "res_multistep_ancestral",
  "res_multistep_ancestral_cfg_pp",
  "gradient_estimation",
  "er_sde",
  "seeds_2",
  "seeds_3",
  "ddim",
  "uni_pc",
  "uni_pc_bh2",
] as const;

export const SCHEDULERS = [
  "simple",
  "sgm_uniform",
  "karras",
  "exponential",
  "ddim_uniform",
  "beta",
  "normal",
  "linear_quadratic",
  "kl_optimal",
] as const;

export const MAX_PROMPT_CHARS = 2000;
export const MAX_SEED = 2 ** 32 - 1;

/** An integer in `min..max` with one message for every way it can be wrong. */
export function intBetween(name: string, min: number, max: number) {
  return z
    .int({ error: `${name} must be a whole number between ${min} and ${max}` })
    .min(min)
    .max(max);
}

/** A number in `min..max` with one message for every way it can be wrong. */
export function numberBetween(name: string, min: number, max: number) {
  return z
    .number({ error: `${name} must be a number between ${min} and ${max}` })
    .min(min)
    .max(max);
}

/** Width or height: ComfyUI latents are 1/8 of the image, so sizes are multiples of 8. */
export function imageSide(name: "width" | "height") {
  return z
    .int({ error: `${name} must be a multiple of 8 between 64 and 2048` })
    .min(64)
    .max(2048)
    .multipleOf(8)
    .default(1024)
    .openapi({ description: `Image ${name} in pixels: a multiple of 8, 64 to 2048.`, example: 1024 });
}

export const prompt = z
  .string({
    error: (issue) =>
      issue.input === undefined ? "prompt is required" : `prompt must be text of 1 to ${MAX_PROMPT_CHARS} characters`,
  })
  .min(1)
  .max(MAX_PROMPT_CHARS)
  .openapi({ description: "What to generate.", example: "a kiln at dusk, volumetric light, 35mm photo" });

export const negativePrompt = z
  .string({ error: `negative_prompt must be text of at most ${MAX_PROMPT_CHARS} characters` })
  .max(MAX_PROMPT_CHARS)
  .default("")
  .openapi({ description: "What to avoid.", example: "blurry, watermark" });

export const steps = intBetween("steps", 1, 150).default(20).openapi({ description: "Sampling steps.", example: 20 });

export const cfg = numberBetween("cfg", 0, 30)
  .default(7)
  .openapi({ description: "Classifier-free guidance scale.", example: 7 });

export const seed = intBetween("seed", 0, MAX_SEED)
  .optional()
  .openapi({ description: "Fix it to reproduce an image; when absent the worker picks a random seed.", example: 42 });

export const batchSize = intBetween("batch_size", 1, 8)
  .default(1)
  .openapi({ description: "Images per job.", example: 1 });

export const sampler = z
  .enum(SAMPLERS, { error: `sampler must be one of ComfyUI's samplers: ${SAMPLERS.join(", ")}` })
  .default("euler")
  .openapi({ description: "ComfyUI sampler name.", example: "euler" });

export const scheduler = z
  .enum(SCHEDULERS, { error: `scheduler must be one of ComfyUI's schedulers: ${SCHEDULERS.join(", ")}` })
  .default("normal")
  .openapi({ description: "ComfyUI scheduler name.", example: "normal" });

/** A model file name as ComfyUI lists it (checkpoint, upscale model). */
export function modelName(name: string, description: string, example: string) {
  return z
    .string({ error: `${name} must be a model file name of 1 to 200 characters` })
    .min(1)
    .max(200)
    .openapi({ description, example });
}

export const checkpoint = modelName(
  "checkpoint",
  "Checkpoint file name; the worker's default when absent.",
  "sd_xl_base_1.0.safetensors",
).optional();

/** `upload:<id>`, as returned by POST /v1/uploads. */
export const UPLOAD_REF = /^upload:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** An input image: an https URL, or `upload:<id>` naming a file sent through POST /v1/uploads. */
export function imageRef(name = "image") {
  return z
    .string({ error: `${name} must be an https URL or upload:<id> from POST /v1/uploads` })
    .max(2048)
    .refine((value) => UPLOAD_REF.test(value) || isHttpsUrl(value))
    .openapi({
      description: "An https URL, or `upload:<id>` from POST /v1/uploads.",
      example: "upload:0b7e4f3c-2a51-4c1e-9d0a-6f1f3b2c8e11",
    });
}

function isHttpsUrl(value: string): boolean {
  return URL.canParse(value) && new URL(value).protocol === "https:";
}

/** Megapixels of a `width` × `height` image (1 MP = 1,000,000 pixels). */
export function megapixels(width: number, height: number): number {
  return (width * height) / 1_000_000;
}
