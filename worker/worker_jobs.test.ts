/**
 * Jobs end to end, the happy path: the api creates them, a worker (real workers function, real comfyui-client,
 * the simulator) runs them, and the outputs land in Storage with the right metadata. Progress reaches the
 * owner's private Realtime topic; a WebSocket dropped mid-run does not lose the job.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { encodePng } from "../scripts/comfyui_sim/png.ts";
import type { ComfyuiSim } from "../scripts/comfyui_sim/sim.ts";
import { Inbox, subscribed, webSocketTransport } from "../scripts/local/realtime/test_clients.ts";
import { pngSize } from "./job_outputs.ts";
import { disconnectRealtime } from "./realtime_wakeups.ts";
import { samplerGraph } from "./testing/sampler_graph.ts";
import { download, final, type JobView, startWorkerStack, type WorkerStack } from "./testing/worker_stack.ts";

let stack: WorkerStack;
let sim: ComfyuiSim;
let realtime: SupabaseClient | undefined;

before(async () => {
  stack = await startWorkerStack();
  sim = await stack.sim({ stepMs: 20 });
  await stack.startWorker([sim]);
});
after(async () => {
  if (realtime) await disconnectRealtime(realtime);
  await stack.close();
});

/** An input image of `width` × `height` sent through POST /v1/uploads; returns its `upload:<id>` ref. */
async function uploadInput(width: number, height: number): Promise<string> {
  const response = await stack.h.call("POST", "/v1/uploads", {
    auth: stack.user.token,
    body: { content_type: "image/png" },
  });
  const upload = await response.json();
  assert.equal(response.status, 201, JSON.stringify(upload));
  const body = new Uint8Array(encodePng(width, height, new Uint8Array(width * height * 3).fill(200)));
  const put = await fetch(upload.signed_url, { method: "PUT", headers: { "content-type": "image/png" }, body });
  assert.equal(put.status, 200, await put.text());
  return upload.ref;
}

/** Each output of a succeeded job: its signed URL's bytes match the stored size, sha256 and PNG size. */
async function assertOutputs(job: JobView, width: number, height: number, node = "9"): Promise<void> {
  const response = await stack.h.call("GET", `/v1/jobs/${job.id}/outputs`, { auth: stack.user.token });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.outputs.length, 1, JSON.stringify(body));
  const [output] = body.outputs;
  assert.match(output.path, new RegExp(`^${stack.user.id}/${job.id}/`));
  assert.equal(output.content_type, "image/png");
  const bytes = await download(output.url);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "PNG signature");
  assert.equal(output.size, bytes.length);
  assert.equal(output.sha256, createHash("sha256").update(bytes).digest("hex"));
  assert.deepEqual(pngSize(bytes), { width, height });
  assert.equal(output.width, width);
  assert.equal(output.height, height);
  assert.equal(output.node, node);
}

describe("a worker runs jobs end to end", { timeout: 30_000 }, () => {
  test("txt2img succeeds with its PNG in storage, and progress reaches the owner over Realtime", async () => {
    realtime = createClient(stack.h.target.url, stack.h.target.anonKey, {
      realtime: { transport: webSocketTransport },
      auth: { persistSession: false, autoRefreshToken: false },
    });
    await realtime.realtime.setAuth(stack.user.token);
    const inbox = new Inbox<{ event: string; payload: { job: JobView } }>();
    const channel = realtime.channel(`user:${stack.user.id}`, { config: { private: true } });
    channel.on("broadcast", { event: "*" }, inbox.add);
    await subscribed(channel);

    const id = await stack.createJob({
      type: "txt2img",
      params: { prompt: "a kiln at dusk", width: 96, height: 64, steps: 60 },
    });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(job.attempts, 1);
    await assertOutputs(job, 96, 64);

    const mine = (type: string) => (m: { event: string; payload: { job: JobView } }) =>
      m.event === type && m.payload.job.id === id;
    await inbox.next(mine("job.succeeded"));
    const phases = inbox.items.filter(mine("job.progress")).map((m) => m.payload.job.phase);
    // Heartbeats go at most every 500 ms, so a short phase (uploading a small PNG) may never be seen.
    assert.ok(phases.includes("executing"), `phase executing in ${phases}`);
    const percents = inbox.items
      .filter(mine("job.progress"))
      .map((m) => m.payload.job.progress?.percent as number | undefined)
      .filter((p) => p !== undefined);
    assert.ok(
      percents.some((p) => p > 0 && p < 100),
      `progress between 0 and 100: ${percents}`,
    );
    const sampler = inbox.items.filter(mine("job.progress")).map((m) => m.payload.job.progress);
    assert.ok(
      sampler.some((p) => p?.node === "3" && p.max === 60),
      `a progress tick from the sampler's 60 steps: ${JSON.stringify(sampler)}`,
    );
  });

  test("img2img downloads its input through a signed URL, and succeeds at the asked size", async () => {
    const ref = await uploadInput(8, 8);
    const id = await stack.createJob({
      type: "img2img",
      params: { prompt: "in oils", image: ref, width: 128, height: 72, steps: 4, denoise: 0.5 },
    });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    await assertOutputs(job, 128, 72);

    // The same image again is the same file in ComfyUI's input folder (named by its content), not a new one.
    const again = await stack.createJob({
      type: "img2img",
      params: { prompt: "in ink", image: ref, width: 64, height: 64, steps: 2, denoise: 0.5 },
    });
    assert.equal((await stack.waitFor(again, final)).status, "succeeded");
    const history = (await (await fetch(`${sim.url}/history`)).json()) as Record<
      string,
      { prompt: [number, string, Record<string, { class_type: string; inputs: Record<string, unknown> }>] }
    >;
    const loaded = Object.values(history).flatMap((entry) =>
      Object.values(entry.prompt[2]).flatMap((node) =>
        node.class_type === "LoadImage" ? [String(node.inputs.image)] : [],
      ),
    );
    const kilnFiles = [...new Set(loaded)];
    assert.equal(kilnFiles.length, 1, JSON.stringify(loaded));
    assert.match(kilnFiles[0], /^kiln\/[0-9a-f]{32}\.png$/);
  });

  test("upscale: the input image, 2× larger", async () => {
    const ref = await uploadInput(24, 16);
    const id = await stack.createJob({
      type: "upscale",
      params: { image: ref, scale: 2, model: "RealESRGAN_x2plus.pth" },
    });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    await assertOutputs(job, 48, 32, "5");
  });

  test("a stored workflow: its graph with the job's inputs bound, and a random seed", async () => {
    const admin = await stack.h.user({ admin: true });
    const graph = samplerGraph({ checkpoint: "v1-5-pruned-emaonly.safetensors", width: 80, height: 64, steps: 3 });
    const bindings = {
      prompt: { node: "6", input: "text", type: "string" },
      seed: { node: "3", input: "seed", type: "integer" },
    };
    const created = await stack.h.call("POST", "/v1/admin/workflows", {
      auth: admin.token,
      body: { name: "fox", graph, bindings },
    });
    const workflow = await created.json();
    assert.equal(created.status, 201, JSON.stringify(workflow));
    const id = await stack.createJob({
      type: "workflow",
      params: { workflow_id: workflow.id, inputs: { prompt: "a red fox" } },
    });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    await assertOutputs(job, 80, 64);
  });

  test("a WebSocket dropped mid-run: the worker reconnects, checks /history, and the job still succeeds", async () => {
    const id = await stack.createJob({
      type: "txt2img",
      params: { prompt: "a lighthouse [sim:drop-ws]", width: 64, height: 64, steps: 10 },
    });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(job.attempts, 1);
    await assertOutputs(job, 64, 64);
  });
});
