/** A stored workflow's graph for worker tests: checkpoint → prompts → KSampler → decode → save, in API format. */
export function samplerGraph(options: { checkpoint: string; width: number; height: number; steps: number }) {
  return {
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: options.checkpoint } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: "blurry", clip: ["4", 1] } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: options.width, height: options.height, batch_size: 1 } },
    "3": {
      class_type: "KSampler",
      inputs: {
        seed: 0,
        steps: options.steps,
        cfg: 7,
        sampler_name: "euler",
        scheduler: "normal",
        denoise: 1,
        model: ["4", 0],
        positive: ["6", 0],
        negative: ["7", 0],
        latent_image: ["5", 0],
      },
    },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
    "9": { class_type: "SaveImage", inputs: { filename_prefix: "ComfyUI", images: ["8", 0] } },
  };
}
