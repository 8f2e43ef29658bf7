/** What a job needs of a worker's ComfyUI, read off the graph the worker builds, and what a worker lacks of it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { missingFrom, requirementsOf } from "./requirements.ts";

const job = (type: string, params: Record<string, unknown>) => ({ id: crypto.randomUUID(), type, params });

describe("job requirements", () => {
  it("name the checkpoint a job asks for, and any checkpoint when it takes the worker's default", () => {
    assert.deepEqual(requirementsOf(job("txt2img", { prompt: "a", checkpoint: "x.safetensors" })), {
      checkpoints: ["x.safetensors"],
    });
    assert.deepEqual(requirementsOf(job("txt2img", { prompt: "a" })), { checkpoints: ["*"] }, "some checkpoint, any");
    assert.deepEqual(requirementsOf(job("upscale", { image: "https://example.com/a.png" })), {
      upscale_models: ["RealESRGAN_x4plus.pth"],
    });
  });

  it("name a stored workflow's node types and the models it loads, bound inputs included", () => {
    const graph = {
      "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "base.safetensors" } },
      "2": { class_type: "LoraLoader", inputs: { lora_name: "style.safetensors", model: ["1", 0], clip: ["1", 1] } },
      "3": { class_type: "KSamplerTurbo", inputs: { model: ["2", 0] } },
      "4": { class_type: "SaveImage", inputs: { images: ["3", 0], filename_prefix: "x" } },
    };
    const bindings = { lora: { node: "2", input: "lora_name", type: "string" } };
    const needs = requirementsOf(
      job("workflow", { workflow_id: crypto.randomUUID(), inputs: { lora: "other.safetensors" } }),
      {
        graph,
        bindings,
      },
    );
    assert.deepEqual(needs, {
      node_types: ["CheckpointLoaderSimple", "KSamplerTurbo", "LoraLoader", "SaveImage"],
      checkpoints: ["base.safetensors"],
      loras: ["other.safetensors"],
    });
  });

  it("say what a worker lacks, by kind", () => {
    const needs = { checkpoints: ["a", "b"], node_types: ["X"] };
    assert.deepEqual(missingFrom({ checkpoints: ["a"], node_types: ["X", "Y"] }, needs), { checkpoints: ["b"] });
    assert.deepEqual(missingFrom({ checkpoints: ["a", "b"], node_types: ["X"] }, needs), {});
  });
});
