/**
 * Claims are model-aware: a worker takes only jobs whose models (and, for stored workflows, node types) its
 * ComfyUI has; a job no online worker can run says what is missing; a worker whose ComfyUI gains a model
 * registers again and takes the jobs that needed it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ComfyuiSim } from "../scripts/comfyui_sim/sim.ts";
import { final, startWorkerStack, type WorkerStack } from "./testing/worker_stack.ts";

let stack: WorkerStack;
let simA: ComfyuiSim;

before(async () => {
  stack = await startWorkerStack();
  simA = await stack.sim({ stepMs: 5, checkpoints: ["a.safetensors"] });
  await stack.startWorker([simA], { capabilityRefreshMs: 200 });
});
after(() => stack.close());

const txt2img = (checkpoint: string) => ({
  type: "txt2img",
  params: { prompt: "a kiln", checkpoint, width: 64, height: 64, steps: 2 },
});

describe("model-aware claims", { timeout: 30_000 }, () => {
  test("a job for a model no worker has waits, saying so, while jobs the worker can run go past it", async () => {
    const waiting = await stack.createJob(txt2img("b.safetensors"));
    const runnable = await stack.createJob(txt2img("a.safetensors"));
    assert.equal((await stack.waitFor(runnable, final)).status, "succeeded");
    const job = await stack.job(waiting);
    assert.equal(job.status, "queued");
    const view = (await (await stack.h.call("GET", `/v1/jobs/${waiting}`, { auth: stack.user.token })).json()) as {
      queue: { workers_online: number; workers_able: number };
      warnings: string[];
      requirements: Record<string, string[]>;
    };
    assert.deepEqual(view.requirements, { checkpoints: ["b.safetensors"] });
    assert.deepEqual([view.queue.workers_online, view.queue.workers_able], [1, 0]);
    assert.match(view.warnings[0], /missing: checkpoints b\.safetensors/);

    // A second worker whose ComfyUI has it takes it.
    const simB = await stack.sim({ stepMs: 5, checkpoints: ["b.safetensors"] });
    await stack.startWorker([simB]);
    assert.equal((await stack.waitFor(waiting, final)).status, "succeeded");
  });

  test("a model added to ComfyUI is registered again, and the jobs that needed it run", async () => {
    const id = await stack.createJob(txt2img("c.safetensors"));
    assert.equal((await stack.job(id)).status, "queued");
    simA.addCheckpoint("c.safetensors");
    assert.equal((await stack.waitFor(id, final)).status, "succeeded");
  });

  test("a stored workflow with a node type no worker's ComfyUI has is not claimed, and says which", async () => {
    const admin = await stack.h.user({ admin: true });
    const graph = {
      "1": { class_type: "KSamplerTurbo", inputs: {} },
      "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "x" } },
    };
    const created = await stack.h.call("POST", "/v1/admin/workflows", {
      auth: admin.token,
      body: { name: "turbo", graph },
    });
    const workflow = (await created.json()) as { id: string };
    const response = await stack.h.call("POST", "/v1/jobs", {
      auth: stack.user.token,
      body: { type: "workflow", params: { workflow_id: workflow.id, inputs: {} } },
    });
    const job = (await response.json()) as { id: string; warnings: string[] };
    assert.equal(response.status, 201);
    assert.match(job.warnings[0], /missing: node_types KSamplerTurbo/);
    assert.equal((await stack.job(job.id)).status, "queued");
    await stack.h.call("POST", `/v1/jobs/${job.id}/cancel`, { auth: stack.user.token });
  });
});
