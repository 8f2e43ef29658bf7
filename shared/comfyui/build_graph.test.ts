/** The graph builders: well-linked graphs for every job type, per-job prefixes, seeds and workflow bindings. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildGraph, imageRefsOf } from "./build_graph.ts";
import { type ComfyGraph, isLink } from "./graph.ts";
import { nodeCatalog, upscaleFactorOf } from "./nodes.ts";

const catalog = nodeCatalog({ checkpoints: ["sd_xl_base_1.0.safetensors"], upscale_models: ["RealESRGAN_x4plus.pth"] });
const JOB_ID = "0b7e4f3c-2a51-4c1e-9d0a-6f1f3b2c8e11";
const UPLOAD = "upload:7d1c1c2e-3f4b-4a5c-9d6e-7f8091a2b3c4";
const inputImages = { [UPLOAD]: "kiln_in_7d1c.png", "https://x.test/cat.png": "kiln_in_cat.png" };

/** Every node is a known class and every link reaches an existing node's output of the input's type. */
function assertWellLinked(graph: ComfyGraph): void {
  for (const [id, node] of Object.entries(graph)) {
    const def = catalog[node.class_type];
    assert.ok(def, `node ${id}: unknown class ${node.class_type}`);
    for (const [name, value] of Object.entries(node.inputs)) {
      if (!isLink(value)) continue;
      const [source, slot] = value;
      const sourceDef = catalog[graph[source]?.class_type ?? ""];
      assert.ok(sourceDef, `node ${id}.${name} links to missing node ${source}`);
      assert.ok(slot < sourceDef.output.length, `node ${id}.${name} links to missing slot ${source}:${slot}`);
      assert.equal(sourceDef.output[slot], def.input.required[name]?.[0], `node ${id}.${name}: type mismatch`);
    }
    for (const name of def.input_order.required) assert.ok(name in node.inputs, `node ${id} lacks ${name}`);
  }
}

const nodesOf = (graph: ComfyGraph, classType: string) =>
  Object.values(graph).filter((n) => n.class_type === classType);
const txt2img = (params: Record<string, unknown>) => ({
  id: JOB_ID,
  type: "txt2img",
  params: { prompt: "a kiln", ...params },
});

describe("buildGraph", () => {
  test("txt2img: checkpoint, prompts, latent, KSampler, decode, save under the job's prefix", () => {
    const built = buildGraph(txt2img({ width: 768, height: 512, batch_size: 2, seed: 42, checkpoint: "a.ckpt" }));
    assertWellLinked(built.graph);
    assert.equal(built.outputPrefix, `kiln/${JOB_ID}/out`);
    assert.equal(built.seed, 42);
    const [sampler] = nodesOf(built.graph, "KSampler");
    const { seed, steps, cfg, sampler_name, scheduler, denoise } = sampler.inputs;
    assert.deepEqual(
      { seed, steps, cfg, sampler_name, scheduler, denoise },
      { seed: 42, steps: 20, cfg: 7, sampler_name: "euler", scheduler: "normal", denoise: 1 },
    );
    assert.deepEqual(nodesOf(built.graph, "EmptyLatentImage")[0].inputs, { width: 768, height: 512, batch_size: 2 });
    assert.equal(nodesOf(built.graph, "CheckpointLoaderSimple")[0].inputs.ckpt_name, "a.ckpt");
    assert.deepEqual(
      nodesOf(built.graph, "CLIPTextEncode").map((n) => n.inputs.text),
      ["a kiln", ""],
    );
    assert.deepEqual(nodesOf(built.graph, "SaveImage")[0].inputs.filename_prefix, `kiln/${JOB_ID}/out`);
  });

  test("a job without a seed gets a random one in 0..2^32-1; a fixed seed is kept", () => {
    const seeds = new Set([0, 1, 2].map(() => buildGraph(txt2img({}), { defaultCheckpoint: "d.ckpt" }).seed));
    assert.equal(seeds.size, 3);
    for (const seed of seeds) assert.ok(Number.isInteger(seed) && (seed ?? -1) >= 0 && (seed ?? 0) < 2 ** 32);
    const chosen = buildGraph(txt2img({}), { defaultCheckpoint: "d.ckpt", randomSeed: () => 7 });
    assert.equal(chosen.seed, 7);
    assert.equal(nodesOf(chosen.graph, "KSampler")[0].inputs.seed, 7);
    assert.equal(nodesOf(chosen.graph, "CheckpointLoaderSimple")[0].inputs.ckpt_name, "d.ckpt");
    assert.equal(buildGraph(txt2img({ seed: 0 }), { defaultCheckpoint: "d", randomSeed: () => 7 }).seed, 0);
    assert.throws(() => buildGraph(txt2img({}), { defaultCheckpoint: "d", randomSeed: () => -1 }), /not in 0/);
  });

  test("each job has its own prefix; ids that are not plain names are refused", () => {
    const other = buildGraph({ ...txt2img({ seed: 1 }), id: "job-2" }, { defaultCheckpoint: "d" });
    assert.equal(other.outputPrefix, "kiln/job-2/out");
    assert.throws(() => buildGraph({ ...txt2img({ seed: 1 }), id: "../x" }, { defaultCheckpoint: "d" }), /folder/);
    assert.throws(() => buildGraph(txt2img({ seed: 1 })), /no checkpoint/);
  });

  test("img2img: the uploaded input, scaled to size, encoded, sampled at the job's denoise", () => {
    const job = { id: JOB_ID, type: "img2img", params: { prompt: "p", image: UPLOAD, denoise: 0.4, seed: 5 } };
    const built = buildGraph(job, { inputImages, defaultCheckpoint: "d" });
    assertWellLinked(built.graph);
    assert.equal(nodesOf(built.graph, "LoadImage")[0].inputs.image, "kiln_in_7d1c.png");
    assert.deepEqual(
      { ...nodesOf(built.graph, "ImageScale")[0].inputs, image: null },
      { upscale_method: "lanczos", width: 1024, height: 1024, crop: "disabled", image: null },
    );
    assert.equal(nodesOf(built.graph, "KSampler")[0].inputs.denoise, 0.4);
    assert.equal(nodesOf(built.graph, "RepeatLatentBatch").length, 0);
    const batch = buildGraph(
      { ...job, params: { ...job.params, batch_size: 3 } },
      { inputImages, defaultCheckpoint: "d" },
    );
    assertWellLinked(batch.graph);
    assert.equal(nodesOf(batch.graph, "RepeatLatentBatch")[0].inputs.amount, 3);
    assert.throws(() => buildGraph(job, { defaultCheckpoint: "d" }), /has not been uploaded/);
  });

  test("upscale: the model alone when its factor is the scale, else a resize by scale / factor", () => {
    const job = (scale: number, model: string) => ({
      id: JOB_ID,
      type: "upscale",
      params: { image: UPLOAD, scale, model },
    });
    const four = buildGraph(job(4, "RealESRGAN_x4plus.pth"), { inputImages });
    assertWellLinked(four.graph);
    assert.equal(four.seed, undefined);
    assert.equal(nodesOf(four.graph, "ImageScaleBy").length, 0);
    assert.equal(nodesOf(four.graph, "UpscaleModelLoader")[0].inputs.model_name, "RealESRGAN_x4plus.pth");
    const two = buildGraph(job(2, "RealESRGAN_x4plus.pth"), { inputImages });
    assertWellLinked(two.graph);
    assert.equal(nodesOf(two.graph, "ImageScaleBy")[0].inputs.scale_by, 0.5);
    assert.equal(
      nodesOf(buildGraph(job(4, "2x-Anime.pth"), { inputImages }).graph, "ImageScaleBy")[0].inputs.scale_by,
      2,
    );
    assert.deepEqual(["4x-UltraSharp.pth", "RealESRGAN_x2plus.pth", "model.pth"].map(upscaleFactorOf), [4, 2, 4]);
  });

  test("workflow: a copy of the stored graph with bindings, uploaded images, a seed and the job's prefix", () => {
    const stored: ComfyGraph = {
      "1": { class_type: "LoadImage", inputs: { image: "example.png" } },
      "2": { class_type: "ImageScaleBy", inputs: { image: ["1", 0], upscale_method: "area", scale_by: 1 } },
      "3": { class_type: "SaveImage", inputs: { images: ["2", 0], filename_prefix: "ComfyUI" } },
      "4": { class_type: "PreviewImage", inputs: { images: ["2", 0] } },
    };
    const bindings = {
      photo: { node: "1", input: "image", type: "image" },
      scale: { node: "2", input: "scale_by", type: "number" },
      method: { node: "2", input: "upscale_method" },
    };
    const job = {
      id: JOB_ID,
      type: "workflow",
      params: { workflow_id: JOB_ID, inputs: { photo: UPLOAD, scale: 1.5 } },
    };
    const built = buildGraph(job, { workflowGraph: stored, workflowBindings: bindings, inputImages });
    assertWellLinked(built.graph);
    assert.equal(built.graph["1"].inputs.image, "kiln_in_7d1c.png");
    assert.equal(built.graph["2"].inputs.scale_by, 1.5);
    assert.equal(built.graph["2"].inputs.upscale_method, "area", "an input not given keeps the graph's value");
    assert.equal(built.graph["3"].inputs.filename_prefix, `kiln/${JOB_ID}/out`);
    assert.equal(built.seed, undefined);
    assert.equal(stored["1"].inputs.image, "example.png", "the stored graph is not changed");
    assert.deepEqual(imageRefsOf(job, bindings), [UPLOAD]);
    assert.throws(
      () =>
        buildGraph(
          { ...job, params: { workflow_id: JOB_ID, inputs: { nope: 1 } } },
          {
            workflowGraph: stored,
            workflowBindings: bindings,
          },
        ),
      /no input "nope"/,
    );
  });

  test("workflow: a seed binding is randomized unless the job sets it", () => {
    const stored: ComfyGraph = { "3": { class_type: "KSampler", inputs: { seed: 1 } } };
    const options = {
      workflowGraph: stored,
      workflowBindings: { seed: { node: "3", input: "seed", type: "integer" } },
    };
    const job = (inputs: Record<string, unknown>) => ({
      id: JOB_ID,
      type: "workflow",
      params: { workflow_id: JOB_ID, inputs },
    });
    const random = buildGraph(job({}), { ...options, randomSeed: () => 99 });
    assert.equal(random.seed, 99);
    assert.equal(random.graph["3"].inputs.seed, 99);
    assert.equal(buildGraph(job({ seed: 12 }), options).graph["3"].inputs.seed, 12);
    assert.throws(() => buildGraph(job({}), { ...options, workflowGraph: { nodes: [] } }), /Export \(API\)/);
  });

  test("imageRefsOf lists the images a job needs", () => {
    assert.deepEqual(imageRefsOf(txt2img({})), []);
    assert.deepEqual(imageRefsOf({ id: JOB_ID, type: "img2img", params: { prompt: "p", image: UPLOAD } }), [UPLOAD]);
    assert.deepEqual(imageRefsOf({ id: JOB_ID, type: "upscale", params: { image: "https://x.test/cat.png" } }), [
      "https://x.test/cat.png",
    ]);
    assert.throws(() => imageRefsOf({ id: JOB_ID, type: "video", params: {} }), /unknown job type/);
  });
});
