/**
 * Jobs that do not simply succeed: a graph ComfyUI refuses (failed at once, not retried, refunded), an
 * out-of-memory error (retried, then succeeds), and cancels, of a queued job (at once) and of a running one
 * (the worker interrupts the prompt in ComfyUI, which the simulator records, and reports canceled).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ComfyuiSim } from "../scripts/comfyui_sim/sim.ts";
import { samplerGraph } from "./testing/sampler_graph.ts";
import { final, startWorkerStack, type WorkerStack } from "./testing/worker_stack.ts";

let stack: WorkerStack;
let sim: ComfyuiSim;

before(async () => {
  stack = await startWorkerStack();
  // A 3 s lease: heartbeats every second, so a cancel reaches a stalled prompt within about a second.
  await stack.setting("lease_seconds", 3);
  sim = await stack.sim({ stepMs: 5 });
  await stack.startWorker([sim]);
});
after(() => stack.close());

const balance = async () =>
  Number(
    (await stack.h.sql<{ credits: string }[]>`select credits from public.profiles where id = ${stack.user.id}`)[0]
      .credits,
  );

const eventsOf = (id: string) =>
  stack.h.sql<{ type: string; data: Record<string, unknown> }[]>`
    select type, data from public.job_events where job_id = ${id} order by seq`;

describe("failures and cancels", { timeout: 30_000 }, () => {
  test("a prompt that executes past its timeout is interrupted in ComfyUI and fails, not retried", async () => {
    // The clock starts when ComfyUI starts the prompt; the stalled sampler never ends by itself.
    await stack.setting("execution_timeout", { default_seconds: 600, max_seconds: 1800, by_type: { txt2img: 1 } });
    try {
      const interrupts = sim.interrupts.length;
      const id = await stack.createJob({
        type: "txt2img",
        params: { prompt: "wedged [sim:stall]", width: 64, height: 64 },
      });
      const job = await stack.waitFor(id, final, 8000);
      assert.equal(job.status, "failed", JSON.stringify(job));
      assert.equal(job.error?.code, "execution_timeout");
      assert.equal(job.error?.retryable, false);
      assert.match(String(job.error?.message), /longer than its 1 s timeout/);
      assert.equal(job.attempts, 1, "not retried");
      assert.equal(sim.interrupts.length, interrupts + 1, "ComfyUI was told to stop the prompt");
    } finally {
      await stack.setting("execution_timeout", { default_seconds: 600, max_seconds: 1800, by_type: {} });
    }
  });

  test("a job's execution timeout: a workflow's own, else its type's, else the default, never past the cap", async () => {
    const limit = async (type: string, workflowSeconds: number | null) =>
      (await stack.h.sql<{ s: number }[]>`select kiln.execution_timeout_seconds(${type}, ${workflowSeconds}) as s`)[0]
        .s;
    await stack.setting("execution_timeout", { default_seconds: 600, max_seconds: 1800, by_type: { upscale: 120 } });
    try {
      assert.deepEqual(
        [
          await limit("txt2img", null),
          await limit("upscale", null),
          await limit("upscale", 900),
          await limit("workflow", 7200),
        ],
        [600, 120, 900, 1800],
      );
    } finally {
      await stack.setting("execution_timeout", { default_seconds: 600, max_seconds: 1800, by_type: {} });
    }
  });

  test("a graph ComfyUI refuses fails at once with its node_errors, is not retried, and is refunded", async () => {
    // A stored workflow whose KSampler asks for 0 steps: Kiln cannot know, ComfyUI refuses it.
    const admin = await stack.h.user({ admin: true });
    const graph = samplerGraph({ checkpoint: "sd_xl_base_1.0.safetensors", width: 64, height: 64, steps: 0 });
    const created = await stack.h.call("POST", "/v1/admin/workflows", {
      auth: admin.token,
      body: { name: "zero steps", graph },
    });
    const workflow = (await created.json()) as { id: string };
    assert.equal(created.status, 201, JSON.stringify(workflow));
    const before = await balance();
    const id = await stack.createJob({ type: "workflow", params: { workflow_id: workflow.id, inputs: {} } });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "failed", JSON.stringify(job));
    assert.equal(job.attempts, 1);
    assert.equal(job.error?.code, "comfyui_validation");
    assert.equal(job.error?.retryable, false);
    assert.equal(job.error?.node, "3");
    const details = job.error?.details as { node_errors?: Record<string, { errors: Array<{ type: string }> }> };
    assert.equal(details.node_errors?.["3"]?.errors[0]?.type, "value_smaller_than_min");
    assert.equal(await balance(), before, "the charge is refunded");
    assert.ok(!(await eventsOf(id)).some((e) => e.type === "job.queued" && e.data.reason === "retry"));
  });

  test("out of memory once: the attempt fails retryable, the retry succeeds", async () => {
    const id = await stack.createJob({
      type: "txt2img",
      params: { prompt: "a huge kiln [sim:oom-once]", width: 64, height: 64, steps: 2 },
    });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(job.attempts, 2);
    const retry = (await eventsOf(id)).find((e) => e.type === "job.queued" && e.data.reason === "retry");
    const error = retry?.data.error as { code?: string; retryable?: boolean; node?: string } | undefined;
    assert.equal(error?.code, "out_of_memory");
    assert.equal(error?.retryable, true);
    assert.equal(error?.node, "3");
  });

  test("cancel: a queued job at once; one waiting for the GPU out of ComfyUI's queue; a running one interrupted", async () => {
    const before = await balance();
    const small = { width: 64, height: 64 };
    const running = await stack.createJob({ type: "txt2img", params: { prompt: "forever [sim:stall]", ...small } });
    await stack.waitFor(running, (j) => j.status === "running" && j.phase === "executing");
    // The slot claims its next job while this one runs, and queues it in ComfyUI behind it.
    const waiting = await stack.createJob({ type: "txt2img", params: { prompt: "next", ...small } });
    await stack.waitFor(waiting, (j) => j.status === "running" && j.phase === "waiting_for_gpu");
    const queued = await stack.createJob({ type: "txt2img", params: { prompt: "after", ...small } });
    const cancelQueued = await stack.h.call("POST", `/v1/jobs/${queued}/cancel`, { auth: stack.user.token });
    assert.equal(cancelQueued.status, 200, await cancelQueued.clone().text());
    assert.equal((await stack.job(queued)).status, "canceled");

    const prompts = sim.interrupts.length;
    const cancelWaiting = await stack.h.call("POST", `/v1/jobs/${waiting}/cancel`, { auth: stack.user.token });
    assert.ok([200, 202].includes(cancelWaiting.status), await cancelWaiting.clone().text());
    assert.equal((await stack.waitFor(waiting, final, 8000)).status, "canceled");
    assert.equal(sim.interrupts.length, prompts, "taken out of the queue: nothing was interrupted");

    const cancelRunning = await stack.h.call("POST", `/v1/jobs/${running}/cancel`, { auth: stack.user.token });
    assert.ok([200, 202].includes(cancelRunning.status), await cancelRunning.clone().text());
    const job = await stack.waitFor(running, final, 8000);
    assert.equal(job.status, "canceled", JSON.stringify(job));
    assert.equal(sim.interrupts.length, prompts + 1, "the simulator saw the prompt interrupted");
    assert.equal(await balance(), before, "every charge is refunded");
  });
});
