/**
 * upscale: an input image enlarged 2× or 4× by an upscale model (ComfyUI's UpscaleModelLoader).
 * Cost: 5 credits per unit of scale (2× → 10, 4× → 20), whatever the input size.
 */
import { z } from "@hono/zod-openapi";
import { strictObject } from "../api/strict_object.ts";
import { imageRef, modelName } from "./fields.ts";
import { simpleJobType } from "./job_type.ts";

export const UpscaleParams = strictObject(
  {
    image: imageRef(),
    scale: z
      .union([z.literal(2), z.literal(4)], { error: "scale must be 2 or 4" })
      .default(2)
      .openapi({ description: "How many times larger.", example: 4 }),
    model: modelName("model", "Upscale model file name.", "RealESRGAN_x4plus.pth").default("RealESRGAN_x4plus.pth"),
  },
  "params",
).openapi("UpscaleParams");

export const upscale = simpleJobType({
  type: "upscale",
  summary: "Enlarges an image 2× or 4× with an upscale model.",
  params: UpscaleParams,
  cost: (p) => 5 * p.scale,
});
