/**
 * The worker on a ComfyUI older than 0.3.44 (the simulator's `comfyui-2024` profile, as measured on an
 * April-2024 server): prompts run under the server's own ids, /interrupt stops whatever runs, /system_stats has
 * no version. The worker follows the id the server answers with, registers the instance without a version, and a
 * cancel stops only its own prompt: taken out of the queue while it waits, interrupted only when /queue shows it
 * running.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { ComfyuiSim } from "../scripts/comfyui_sim/sim.ts";
import { buildGraph } from "../shared/comfyui/build_graph.ts";
import { workerTokenPrefix } from "../supabase/functions/_shared/auth/worker_tokens.ts";
import { ComfyConnection } from "./comfy_connection.ts";
import { memoryLogger } from "./log.ts";
import { final, startWorkerStack, type TestWorker, type WorkerStack, waitUntil } from "./testing/worker_stack.ts";

let stack: WorkerStack;
let sim: ComfyuiSim;
let worker: TestWorker;

before(async () => {
  stack = await startWorkerStack();
  await stack.setting("lease_seconds", 3);
  sim = await stack.sim({ stepMs: 5, profile: "comfyui-2024" });
  worker = await stack.startWorker([sim]);
});
after(() => stack.close());

/** Another client's prompt on the same ComfyUI, stalled so that it holds the running slot; its server id. */
async function foreignStalledPrompt(): Promise<string> {
  const { graph } = buildGraph({
    id: crypto.randomUUID(),
    type: "txt2img",
    params: { prompt: "not ours [sim:stall]", checkpoint: "sd_xl_base_1.0.safetensors" },
  });
  const response = await fetch(`${sim.url}/prompt`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: graph, client_id: "someone-else" }),
  });
  return ((await response.json()) as { prompt_id: string }).prompt_id;
}

const queueOf = async () =>
  (await (await fetch(`${sim.url}/queue`)).json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };

describe("a ComfyUI older than 0.3.44", { timeout: 30_000 }, () => {
  test("a job runs to the end under the server's prompt id, and the instance registers without a version", async () => {
    const id = await stack.createJob({ type: "txt2img", params: { prompt: "old server", width: 64, height: 64 } });
    const job = await stack.waitFor(id, final);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(job.outputs?.length, 1);
    assert.ok(
      worker.lines.some((line) => line.includes("runs prompts under ids of its own")),
      "the worker says it follows the server's ids",
    );
    const [row] = await stack.h.sql<{ comfyui_version: string | null; registered_at: Date | null }[]>`
      select comfyui_version, registered_at from public.workers where token_prefix = ${workerTokenPrefix(worker.token)}`;
    assert.ok(row?.registered_at, "the worker registered");
    assert.equal(row.comfyui_version, null, "an old server reports no version, and none is made up");
  });

  test("a cancel takes a waiting prompt out of the queue and leaves another client's running prompt alone", async () => {
    const foreign = await foreignStalledPrompt();
    const id = await stack.createJob({ type: "txt2img", params: { prompt: "mine", width: 64, height: 64 } });
    await stack.waitFor(id, (j) => j.status === "running" && j.phase === "waiting_for_gpu");
    // Ours waits in ComfyUI's queue behind the other client's stalled prompt.
    assert.equal((await queueOf()).queue_pending.length, 1);
    const cancel = await stack.h.call("POST", `/v1/jobs/${id}/cancel`, { auth: stack.user.token });
    assert.ok([200, 202].includes(cancel.status), await cancel.clone().text());
    const job = await stack.waitFor(id, final, 5000);
    assert.equal(job.status, "canceled");
    assert.deepEqual(sim.interrupts, [], "no interrupt: on this server it would have stopped the other prompt");
    const queue = await queueOf();
    assert.deepEqual([queue.queue_pending.length, queue.queue_running[0]?.[1]], [0, foreign]);
    await fetch(`${sim.url}/interrupt`, { method: "POST" });
  });

  test("a server without what Kiln needs is refused by name, and its slot never comes up", async () => {
    // A ComfyUI (or a proxy in front of one) that hides /queue.
    const server = createServer((req, res) => {
      if (req.url === "/queue") res.writeHead(404).end("404: Not Found");
      else res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const log = memoryLogger();
    const conn = new ComfyConnection({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      WebSocket,
      log,
      initialBackoffMs: 50,
    });
    void conn.start();
    try {
      await waitUntil(() => log.lines.some((line) => line.includes("cannot run Kiln jobs")), "the refusal", 5000);
      assert.ok(log.lines.some((line) => /it has no \/queue \(to cancel a prompt safely\)/.test(line)));
      assert.equal(conn.healthy, false);
    } finally {
      await conn.close();
      server.close();
    }
  });

  test("a cancel of a running prompt interrupts it, once /queue shows it running", async () => {
    const id = await stack.createJob({
      type: "txt2img",
      params: { prompt: "forever [sim:stall]", width: 64, height: 64 },
    });
    await stack.waitFor(id, (j) => j.status === "running" && j.phase === "executing");
    const before = sim.interrupts.length;
    await stack.h.call("POST", `/v1/jobs/${id}/cancel`, { auth: stack.user.token });
    const job = await stack.waitFor(id, final, 8000);
    assert.equal(job.status, "canceled");
    assert.equal(sim.interrupts.length, before + 1);
  });
});
