/**
 * txt2img: an image from a prompt.
 * Cost in credits: 10 + ceil(steps × megapixels × batch_size), e.g. 1024×1024, 20 steps, 1 image → 31.
 */
import { strictObject } from "../api/strict_object.ts";
import {
  batchSize,
  cfg,
  checkpoint,
  imageSide,
  megapixels,
  negativePrompt,
  prompt,
  sampler,
  scheduler,
  seed,
  steps,
} from "./fields.ts";
import { simpleJobType } from "./job_type.ts";

/** The sampling fields txt2img and img2img share. */
export const samplingFields = {
  prompt,
  negative_prompt: negativePrompt,
  width: imageSide("width"),
  height: imageSide("height"),
  steps,
  cfg,
  seed,
  batch_size: batchSize,
  sampler,
  scheduler,
  checkpoint,
};

export const Txt2ImgParams = strictObject(samplingFields, "params").openapi("Txt2ImgParams");

/** Base 10, plus one credit per step per megapixel per image, rounded up. */
export function samplingCost(p: { steps: number; width: number; height: number; batch_size: number }): number {
  return 10 + Math.ceil(p.steps * megapixels(p.width, p.height) * p.batch_size);
}

export const txt2img = simpleJobType({
  type: "txt2img",
  summary: "Text to image with a checkpoint and a KSampler.",
  params: Txt2ImgParams,
  cost: samplingCost,
});
