/** The job types' params schemas and prices, without a database. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JOB_TYPE_DEFINITIONS } from "./index.ts";
import type { StoredWorkflow } from "./workflow_bindings.ts";

const check = (type: keyof typeof JOB_TYPE_DEFINITIONS, params: unknown, workflow?: StoredWorkflow) =>
  JOB_TYPE_DEFINITIONS[type].check(params, workflow);

/** {path: message} of a refused check. */
function problems(result: ReturnType<typeof check>): Record<string, string> {
  assert.equal(result.ok, false);
  return result.ok ? {} : Object.fromEntries(result.issues.map((i) => [i.path.join("."), i.message]));
}

describe("job types", () => {
  it("price txt2img by steps, megapixels and batch", () => {
    const result = check("txt2img", { prompt: "p", width: 512, height: 512, steps: 30, batch_size: 4 });
    assert.ok(result.ok);
    assert.equal(result.cost, 10 + Math.ceil(30 * 0.262144 * 4));
  });

  it("price img2img by all its steps whatever the denoise (ComfyUI runs them all), and upscale by scale", () => {
    const img = check("img2img", { prompt: "p", image: "https://x.test/a.png", denoise: 0.25, steps: 40 });
    assert.ok(img.ok);
    assert.equal(img.cost, 10 + Math.ceil(40 * 1.048576));
    const up = check("upscale", { image: "upload:0b7e4f3c-2a51-4c1e-9d0a-6f1f3b2c8e11" });
    assert.ok(up.ok);
    assert.deepEqual(up.params, {
      image: "upload:0b7e4f3c-2a51-4c1e-9d0a-6f1f3b2c8e11",
      scale: 2,
      model: "RealESRGAN_x4plus.pth",
    });
    assert.equal(up.cost, 10);
  });

  it("say what is wrong in one sentence per field", () => {
    assert.deepEqual(problems(check("txt2img", { prompt: "", height: 4096, scheduler: "x", checkpoint: "" })), {
      prompt: "prompt must be text of 1 to 2000 characters",
      height: "height must be a multiple of 8 between 64 and 2048",
      scheduler:
        "scheduler must be one of ComfyUI's schedulers: simple, sgm_uniform, karras, exponential, ddim_uniform, " +
        "beta, normal, linear_quadratic, kl_optimal",
      checkpoint: "checkpoint must be a model file name of 1 to 200 characters",
    });
    assert.deepEqual(problems(check("upscale", { image: "https://x.test/a.png", scale: 3 })), {
      scale: "scale must be 2 or 4",
    });
    assert.deepEqual(problems(check("txt2img", "a kiln")), {
      "":
        "params must be a JSON object with the fields: prompt, negative_prompt, width, height, steps, cfg, seed, " +
        "batch_size, sampler, scheduler, checkpoint",
    });
  });

  it("price workflows by their cost rule", () => {
    const workflow: StoredWorkflow = {
      id: "9f0c2d1e-7b3a-4c5d-8e6f-1a2b3c4d5e6f",
      job_type: "workflow",
      graph: { "5": { inputs: { width: 1000, height: 1000 } } },
      bindings: { width: { node: "5", input: "width", type: "integer" }, height: { node: "5", input: "height" } },
      cost_rule: { base: 2, per_megapixel: 10 },
    };
    const result = check("workflow", { workflow_id: workflow.id, inputs: { width: 2000 } }, workflow);
    assert.ok(result.ok);
    assert.equal(result.cost, 2 + 20);
  });
});
