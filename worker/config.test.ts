/**
 * The worker's configuration: defaults, flags over variables, one clear line for each kind of mistake, and a
 * printed form that never shows a secret. Also the pure helpers the runner leans on: failure classification,
 * details kept within their budget, PNG sizes, and progress across a graph.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodePng } from "../scripts/comfyui_sim/png.ts";
import { ConfigError, loadConfig, redactedConfig } from "./config.ts";
import { GraphProgress } from "./graph_progress.ts";
import { executionFailure, limitDetails, validationFailure } from "./job_failures.ts";
import { outputFilesOf, pngSize } from "./job_outputs.ts";

const TOKEN = `kiln_wk_${"a".repeat(52)}`;
const base = { KILN_URL: "http://127.0.0.1:54321/functions/v1/", KILN_WORKER_TOKEN: TOKEN };

const refusal = (env: Record<string, string>, args: string[] = []) => {
  try {
    loadConfig(env, args);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("expected a ConfigError");
};

describe("loadConfig", () => {
  test("defaults: one local ComfyUI, every job type, 5 s polls, 30 s grace, no Realtime", () => {
    const config = loadConfig(base, []);
    assert.equal(config.kilnUrl, "http://127.0.0.1:54321/functions/v1");
    assert.deepEqual(config.comfyuiUrls, ["http://127.0.0.1:8188"]);
    assert.deepEqual(config.jobTypes, ["txt2img", "img2img", "upscale", "workflow"]);
    assert.equal(config.pollIntervalMs, 5000);
    assert.equal(config.shutdownGraceMs, 30_000);
    assert.equal(config.realtime, undefined);
    assert.equal(config.once, false);
    assert.equal(config.prefetch, true, "each slot claims its next job ahead");
    assert.equal(loadConfig({ ...base, KILN_PREFETCH: "0" }, []).prefetch, false);
  });

  test("flags win over variables; COMFYUI_URL lists one slot per instance", () => {
    const env = { ...base, COMFYUI_URL: "http://gpu:8188", SUPABASE_URL: "http://sb", SUPABASE_ANON_KEY: "anon" };
    const config = loadConfig(env, ["--once", "--comfyui", "http://a:8188, http://b:8189/", "--poll-interval-ms=750"]);
    assert.deepEqual(config.comfyuiUrls, ["http://a:8188", "http://b:8189"]);
    assert.equal(config.pollIntervalMs, 750);
    assert.equal(config.once, true);
    assert.deepEqual(config.realtime, { url: "http://sb", anonKey: "anon" });
  });

  test("each mistake is one line naming the setting", () => {
    assert.match(refusal({ KILN_WORKER_TOKEN: TOKEN }), /^KILN_URL .* is required$/);
    assert.match(refusal({ ...base, KILN_WORKER_TOKEN: "secret" }), /KILN_WORKER_TOKEN must be a worker token/);
    assert.match(refusal({ ...base, COMFYUI_URL: "gpu:8188" }), /COMFYUI_URL entry must be an http\(s\) URL/);
    assert.match(refusal({ ...base, KILN_JOB_TYPES: "txt2img,Video!" }), /"Video!" is not a job type/);
    assert.match(refusal({ ...base, KILN_POLL_INTERVAL_MS: "soon" }), /KILN_POLL_INTERVAL_MS must be a number/);
    assert.match(refusal({ ...base, SUPABASE_URL: "http://sb" }), /SUPABASE_URL and SUPABASE_ANON_KEY go together/);
    assert.match(refusal({ ...base, KILN_PREFETCH: "yes" }), /KILN_PREFETCH must be 1/);
    assert.match(refusal(base, ["--fast"]), /unknown argument "--fast"/);
    assert.match(refusal(base, ["--comfyui"]), /--comfyui needs a value/);
  });

  test("the printed form shows the token's public prefix only", () => {
    const env = {
      ...base,
      SUPABASE_URL: "http://sb",
      SUPABASE_ANON_KEY: "eyJhbGciOiJIUzI1NiJ9.secret",
      COMFYUI_URL: "http://u:p@gpu:8188",
    };
    const printed = JSON.stringify(redactedConfig(loadConfig(env, [])));
    assert.ok(!printed.includes(TOKEN) && !printed.includes(".secret") && !printed.includes("u:p@"), printed);
    assert.ok(printed.includes("kiln_wk_aaaaaaaaaaaa…"));
  });
});

describe("runner helpers", () => {
  test("failures: validation keeps node_errors, OOM is retryable, other execution errors are not", () => {
    const refused = validationFailure({
      error: { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation" },
      node_errors: {
        "3": {
          errors: [{ type: "value_smaller_than_min", message: "Value 0 smaller than min of 1" }],
          class_type: "KSampler",
        },
      },
    }).toJobError();
    assert.equal(refused.code, "comfyui_validation");
    assert.equal(refused.retryable, false);
    assert.equal(refused.node, "3");
    assert.ok((refused.details?.node_errors as Record<string, unknown> | undefined)?.["3"]);
    // A node type the server lacks is named, from 0.17's missing_node_type and from an older server's wording.
    const missing = validationFailure({
      error: {
        type: "missing_node_type",
        message: "Node 'KSamplerTurbo' not found. The custom node may not be installed.",
        details: "Node ID '#3'",
        extra_info: { node_id: "3", class_type: "KSamplerTurbo", node_title: "KSamplerTurbo" },
      },
      node_errors: {},
    });
    assert.deepEqual([missing.code, missing.retryable, missing.node], ["missing_node_type", false, "3"]);
    assert.match(missing.message, /node type KSamplerTurbo \(node 3\).*not installed on this worker/);
    const old = validationFailure({
      error: {
        type: "invalid_prompt",
        message: "Cannot execute because node KSamplerTurbo does not exist.",
        details: "Node ID '#3'",
      },
      node_errors: {},
    });
    assert.deepEqual([old.code, old.node], ["missing_node_type", "3"]);
    const oom = executionFailure({
      node_id: "3",
      node_type: "KSampler",
      exception_type: "torch.OutOfMemoryError",
      exception_message: "CUDA out of memory",
    });
    assert.deepEqual([oom.code, oom.retryable, oom.node], ["out_of_memory", true, "3"]);
    const bug = executionFailure({
      node_id: "8",
      node_type: "VAEDecode",
      exception_type: "RuntimeError",
      exception_message: "shape",
    });
    assert.deepEqual([bug.code, bug.retryable, bug.node], ["comfyui_execution_error", false, "8"]);
  });

  test("details stay within their byte budget", () => {
    const nodeErrors = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [String(i), { errors: ["x".repeat(200)] }]),
    );
    const limited = limitDetails({ error: { type: "invalid_prompt" }, node_errors: nodeErrors }, 4096);
    assert.ok(JSON.stringify(limited).length <= 4096);
    assert.deepEqual(limited.error, { type: "invalid_prompt" });
  });

  test("PNG size from IHDR; output files of every kind, temp previews left out", () => {
    assert.deepEqual(pngSize(encodePng(3, 5, new Uint8Array(45))), { width: 3, height: 5 });
    assert.equal(pngSize(new Uint8Array([0xff, 0xd8, 0xff])), undefined);
    const files = outputFilesOf({
      "9": { images: [{ filename: "a.png", subfolder: "kiln/j", type: "output" }] },
      "12": { gifs: [{ filename: "b.mp4", subfolder: "", type: "output" }], text: ["hello"] },
      "20": { images: [{ filename: "p.png", subfolder: "", type: "temp" }] },
    });
    assert.deepEqual(
      files.map((f) => `${f.node}:${f.filename}`),
      ["9:a.png", "12:b.mp4"],
    );
  });

  test("progress: cached and executed nodes count in full, the sampler by its steps", () => {
    let now = 0;
    const graph = {
      "4": { class_type: "CheckpointLoaderSimple", inputs: {} },
      "3": { class_type: "KSampler", inputs: {} },
      "9": { class_type: "SaveImage", inputs: {} },
    };
    const progress = new GraphProgress(graph, () => now);
    progress.update({ type: "execution_cached", data: { nodes: ["4"] } });
    progress.update({ type: "executing", data: { node: "3" } });
    now = 1000;
    progress.update({ type: "progress", data: { node: "3", value: 5, max: 10 } });
    assert.deepEqual(progress.snapshot(), { value: 5, max: 10, node: "3", percent: 50, eta_ms: 1000 });
  });
});
