/**
 * What each simulated node does. Values flowing through the graph carry only what decides the final images:
 * sizes, batch counts and an identity hash (prompt text, seed and sampler settings, or an input file's bytes).
 * Sizes follow ComfyUI: latents are 1/8 of the image (so sizes round down to multiples of 8), ImageScale with a
 * 0 side keeps the aspect ratio, an upscale model multiplies by its factor. KSampler reports one progress step
 * per sampling step (none at denoise 0) and ImageUpscaleWithModel one per 512-px tile, as ComfyUI does.
 */
import { upscaleFactorOf } from "../../shared/comfyui/nodes.ts";
import { type FileRef, FileStore, isSafePath } from "./file_store.ts";
import { fingerprint, renderPattern } from "./image_pattern.ts";
import { encodePng } from "./png.ts";

export type SimValue =
  | { kind: "MODEL" | "CLIP" | "VAE"; name: string }
  | { kind: "CONDITIONING"; text: string }
  | { kind: "LATENT" | "IMAGE" | "MASK"; width: number; height: number; batch: number; id: string }
  | { kind: "UPSCALE_MODEL"; name: string; factor: number };

type Pixels = SimValue & { kind: "LATENT" | "IMAGE" | "MASK" };

/** A node failing the way a Python exception would: ComfyUI reports its type and message. */
export class NodeFailure extends Error {
  readonly exceptionType: string;
  constructor(exceptionType: string, message: string) {
    super(message);
    this.exceptionType = exceptionType;
  }
}

export interface NodeResult {
  outputs: SimValue[];
  ui?: { images: FileRef[] };
}

export interface NodePlan {
  /** Progress steps the node reports before it finishes; 0 for nodes that report none. */
  steps: number;
  finish(): NodeResult;
}

export interface EffectContext {
  files: FileStore;
  /** The whole prompt, embedded in saved PNGs as ComfyUI's "prompt" text chunk. */
  prompt: unknown;
  /** PreviewImage's random file-name part, e.g. "_temp_abcde". */
  tempSuffix: string;
}

/** An input that must be a linked value of `kind` (a literal there fails, as a Python attribute error). */
function linked<K extends SimValue["kind"]>(inputs: Record<string, unknown>, name: string, kind: K) {
  const v = inputs[name] as SimValue | undefined;
  if (v?.kind !== kind) {
    const got = v === undefined || typeof v !== "object" ? typeof v : "dict";
    throw new NodeFailure("AttributeError", `'${got}' object has no attribute 'shape' (input ${name})`);
  }
  return v as SimValue & { kind: K };
}

const done = (outputs: SimValue[], ui?: NodeResult["ui"]): NodePlan => ({ steps: 0, finish: () => ({ outputs, ui }) });
const floor8 = (n: number) => Math.floor(n / 8) * 8;
const pixels = (kind: Pixels["kind"], from: Pixels, changes: Partial<Pixels> = {}): Pixels => ({
  ...from,
  kind,
  ...changes,
});

/** Tiles of ComfyUI's tiled upscale (512 px with 32 px overlap): its progress steps. */
const tiles = (w: number, h: number) =>
  (h <= 512 ? 1 : Math.ceil((h - 32) / 480)) * (w <= 512 ? 1 : Math.ceil((w - 32) / 480));

function saveImages(images: Pixels, prefix: string, type: "output" | "temp", ctx: EffectContext): NodeResult {
  const normalized = prefix
    .split("/")
    .filter((p) => p !== "" && p !== ".")
    .join("/");
  if (!isSafePath(prefix) || normalized === "") {
    throw new NodeFailure("Exception", "**** ERROR: Saving image outside the output folder is not allowed.");
  }
  const slash = normalized.lastIndexOf("/");
  const subfolder = slash < 0 ? "" : normalized.slice(0, slash);
  const base = normalized.slice(slash + 1);
  let counter = ctx.files.nextCounter(type, subfolder, base);
  const promptText = JSON.stringify(ctx.prompt).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const refs: FileRef[] = [];
  for (let i = 0; i < images.batch; i++) {
    const ref: FileRef = { filename: `${base}_${String(counter++).padStart(5, "0")}_.png`, subfolder, type };
    const rgb = renderPattern(images.id, i, images.width, images.height);
    ctx.files.put(ref, encodePng(images.width, images.height, rgb, { prompt: promptText }));
    refs.push(ref);
  }
  return { outputs: [], ui: { images: refs } };
}

/** The plan for running node `classType` with `inputs` (links already replaced by upstream values). */
export function planNode(classType: string, inputs: Record<string, unknown>, ctx: EffectContext): NodePlan {
  const num = (name: string) => inputs[name] as number;
  switch (classType) {
    case "CheckpointLoaderSimple": {
      const name = String(inputs.ckpt_name);
      return done([
        { kind: "MODEL", name },
        { kind: "CLIP", name },
        { kind: "VAE", name },
      ]);
    }
    case "CLIPTextEncode":
      linked(inputs, "clip", "CLIP");
      return done([{ kind: "CONDITIONING", text: String(inputs.text) }]);
    case "EmptyLatentImage":
      return done([
        {
          kind: "LATENT",
          width: floor8(num("width")),
          height: floor8(num("height")),
          batch: num("batch_size"),
          id: "empty",
        },
      ]);
    case "KSampler": {
      const model = linked(inputs, "model", "MODEL");
      const positive = linked(inputs, "positive", "CONDITIONING");
      const negative = linked(inputs, "negative", "CONDITIONING");
      const latent = linked(inputs, "latent_image", "LATENT");
      const { seed, steps, cfg, sampler_name, scheduler, denoise } = inputs;
      const id = fingerprint(
        model.name,
        positive.text,
        negative.text,
        seed,
        steps,
        cfg,
        sampler_name,
        scheduler,
        denoise,
        latent.id,
      );
      const sampled = num("denoise") > 0 ? pixels("LATENT", latent, { id }) : latent;
      return { steps: num("denoise") > 0 ? num("steps") : 0, finish: () => ({ outputs: [sampled] }) };
    }
    case "VAEDecode":
      linked(inputs, "vae", "VAE");
      return done([pixels("IMAGE", linked(inputs, "samples", "LATENT"))]);
    case "VAEEncode": {
      linked(inputs, "vae", "VAE");
      const image = linked(inputs, "pixels", "IMAGE");
      return done([pixels("LATENT", image, { width: floor8(image.width), height: floor8(image.height) })]);
    }
    case "RepeatLatentBatch": {
      const latent = linked(inputs, "samples", "LATENT");
      return done([pixels("LATENT", latent, { batch: latent.batch * num("amount") })]);
    }
    case "SaveImage":
      return done([], saveImages(linked(inputs, "images", "IMAGE"), String(inputs.filename_prefix), "output", ctx).ui);
    case "PreviewImage":
      return done([], saveImages(linked(inputs, "images", "IMAGE"), `ComfyUI${ctx.tempSuffix}`, "temp", ctx).ui);
    case "LoadImage": {
      const name = String(inputs.image);
      const file = ctx.files.get(FileStore.parseAnnotated(name));
      if (!file?.size) throw new NodeFailure("PIL.UnidentifiedImageError", `cannot identify image file '${name}'`);
      const image: Pixels = { kind: "IMAGE", ...file.size, batch: 1, id: file.hash };
      return done([image, { ...image, kind: "MASK" }]);
    }
    case "ImageScale": {
      const image = linked(inputs, "image", "IMAGE");
      let [width, height] = [num("width"), num("height")];
      if (width === 0 && height === 0) [width, height] = [image.width, image.height];
      else if (width === 0) width = Math.max(1, Math.round((image.width * height) / image.height));
      else if (height === 0) height = Math.max(1, Math.round((image.height * width) / image.width));
      return done([pixels("IMAGE", image, { width, height })]);
    }
    case "ImageScaleBy": {
      const image = linked(inputs, "image", "IMAGE");
      const by = num("scale_by");
      return done([
        pixels("IMAGE", image, { width: Math.round(image.width * by), height: Math.round(image.height * by) }),
      ]);
    }
    case "UpscaleModelLoader": {
      const name = String(inputs.model_name);
      return done([{ kind: "UPSCALE_MODEL", name, factor: upscaleFactorOf(name) }]);
    }
    case "ImageUpscaleWithModel": {
      const { factor } = linked(inputs, "upscale_model", "UPSCALE_MODEL");
      const image = linked(inputs, "image", "IMAGE");
      const upscaled = pixels("IMAGE", image, { width: image.width * factor, height: image.height * factor });
      return { steps: image.batch * tiles(image.width, image.height), finish: () => ({ outputs: [upscaled] }) };
    }
    default:
      throw new NodeFailure("KeyError", `'${classType}'`);
  }
}
