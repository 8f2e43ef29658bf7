/**
 * img2img: an input image re-sampled with a prompt; `denoise` says how much of it changes (1 = all).
 * The input is scaled to width × height. Priced like txt2img (10 + ceil(steps × megapixels × batch_size)): at any
 * denoise, ComfyUI's KSampler runs all `steps` (it stretches the schedule to steps / denoise and runs its tail).
 */
import { strictObject } from "../api/strict_object.ts";
import { imageRef, numberBetween } from "./fields.ts";
import { simpleJobType } from "./job_type.ts";
import { samplingCost, samplingFields } from "./txt2img.ts";

export const Img2ImgParams = strictObject(
  {
    ...samplingFields,
    image: imageRef(),
    denoise: numberBetween("denoise", 0, 1)
      .default(0.75)
      .openapi({ description: "Share of the image to re-generate: 0 keeps it, 1 replaces it.", example: 0.6 }),
  },
  "params",
).openapi("Img2ImgParams");

export const img2img = simpleJobType({
  type: "img2img",
  summary: "Image to image: re-samples an input image with a prompt.",
  params: Img2ImgParams,
  cost: samplingCost,
});
