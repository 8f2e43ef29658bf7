/**
 * POST /v1/claim: a claimed job comes with everything needed to run it (fencing token, params, lease, the
 * stored workflow, a URL for each input image); a long poll wakes on NOTIFY kiln_queue within moments of a job
 * being created, and gives up empty when wait_s passes; a job whose input is gone fails instead of running.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { supabaseStorage } from "../_shared/storage/object_storage.ts";
import type { TestUser } from "../api/testing/api_harness.ts";
import { TINY_PNG } from "../api/testing/job_fixtures.ts";
import { registration, startWorkerHarness, type WorkerHarness } from "./testing/worker_harness.ts";

let h: WorkerHarness;
before(async () => {
  h = await startWorkerHarness();
});
after(() => h.close());

/** An input image uploaded the way a client uploads one; returns its ref and object path. */
async function uploadImage(user: TestUser): Promise<{ ref: string; path: string }> {
  const upload = await (
    await h.call("POST", "/v1/uploads", { auth: user.token, body: { content_type: "image/png" } })
  ).json();
  const put = await fetch(upload.signed_url, {
    method: "PUT",
    headers: { "content-type": "image/png" },
    body: TINY_PNG,
  });
  assert.equal(put.status, 200, await put.text());
  return { ref: upload.ref, path: upload.path };
}

describe("POST /v1/claim", () => {
  it("hands a job taking the worker's default checkpoint only to a worker whose ComfyUI lists one", async () => {
    const user = await h.user();
    const bare = await h.worker();
    const empty = registration(["txt2img"]);
    empty.comfyui[0].models = { checkpoints: [] };
    const registered = await h.wcall("POST", "/v1/register", bare, { body: empty });
    assert.equal(registered.status, 200, await registered.clone().text());
    await h.parkQueuedJobs();
    const id = await h.createJob(user, { type: "txt2img", params: { prompt: "any model will do" } });
    const claim = async () => (await (await h.wcall("POST", "/v1/claim", bare, { body: { n: 1 } })).json()).jobs;
    assert.deepEqual(await claim(), []);
    const view = await (await h.call("GET", `/v1/jobs/${id}`, { auth: user.token })).json();
    assert.deepEqual(view.requirements, { checkpoints: ["*"] });
    assert.match(view.warnings[0] ?? "", /missing: checkpoints \(any\)/);
    // The same worker with a checkpoint now: it takes the job.
    empty.comfyui[0].models = { checkpoints: ["sd_xl_base_1.0.safetensors"] };
    await h.wcall("POST", "/v1/register", bare, { body: empty });
    assert.equal((await claim())[0]?.id, id);
  });

  it("gives a job with its fencing token, params and lease", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const job = await h.claimNew(user, worker, { type: "txt2img", params: { prompt: "a kiln", steps: 12 } });
    const [row] = await h.sql`select fencing_token::text, worker_id, status from public.jobs where id = ${job.id}`;
    assert.equal(job.fencing_token, row.fencing_token);
    assert.match(job.fencing_token, /^\d+$/);
    assert.deepEqual([row.worker_id, row.status], [worker.id, "running"]);
    assert.equal(job.type, "txt2img");
    assert.equal(job.params.prompt, "a kiln");
    assert.equal(job.params.steps, 12);
    assert.deepEqual(
      [job.workflow, job.inputs, job.attempt, job.max_attempts, job.lease_seconds],
      [null, [], 1, 3, 30],
    );
    const lease = (Date.parse(job.lease_expires_at) - Date.now()) / 1000;
    assert.ok(lease > 25 && lease <= 30, `lease ends in ${lease} s`);
  });

  it("gives a signed URL for an uploaded input image, and an https input as it is", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const { ref } = await uploadImage(user);
    const img2img = await h.claimNew(user, worker, { type: "img2img", params: { prompt: "in oils", image: ref } });
    assert.equal(img2img.inputs.length, 1);
    assert.equal(img2img.inputs[0].ref, ref);
    const file = await fetch(img2img.inputs[0].url);
    assert.equal(file.status, 200);
    assert.deepEqual(new Uint8Array(await file.arrayBuffer()), TINY_PNG);
    const url = "https://example.com/in.png";
    const upscale = await h.claimNew(user, worker, { type: "upscale", params: { image: url } });
    assert.deepEqual(upscale.inputs, [{ ref: url, url }]);
  });

  it("gives a workflow job its stored graph and bindings", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const graph = { "6": { class_type: "CLIPTextEncode", inputs: { text: "a fox" } } };
    const bindings = { prompt: { node: "6", input: "text", type: "string", max: 500 } };
    const [{ id }] = await h.sql<{ id: string }[]>`
      insert into public.workflows (owner_id, name, graph, bindings)
      values (${user.id}, 'fox', ${h.sql.json(graph)}, ${h.sql.json(bindings)}) returning id`;
    const job = await h.claimNew(user, worker, {
      type: "workflow",
      params: { workflow_id: id, inputs: { prompt: "x" } },
    });
    assert.deepEqual(job.workflow, { id, graph, bindings });
    assert.deepEqual(job.params.inputs, { prompt: "x" });
  });

  it("prefers the checkpoints the worker says are loaded, and says which checkpoint each job loads", async () => {
    const [user, worker] = [await h.user(), await h.worker()];
    const both = registration(["txt2img"]);
    both.comfyui[0].models = { checkpoints: ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"] };
    assert.equal((await h.wcall("POST", "/v1/register", worker, { body: both })).status, 200);
    await h.parkQueuedJobs();
    const job = (checkpoint: string) => ({ type: "txt2img", params: { prompt: "a kiln", checkpoint } });
    const older = await h.createJob(user, job("sd_xl_base_1.0.safetensors"));
    const loaded = await h.createJob(user, job("v1-5-pruned-emaonly.safetensors"));
    const claim = async (body: Record<string, unknown>) =>
      (await (await h.wcall("POST", "/v1/claim", worker, { body })).json()).jobs;
    const [first] = await claim({ n: 1, loaded_models: ["v1-5-pruned-emaonly.safetensors"] });
    assert.deepEqual([first.id, first.checkpoints], [loaded, ["v1-5-pruned-emaonly.safetensors"]]);
    assert.equal((await claim({ n: 1 }))[0].id, older);
    const bad = await h.wcall("POST", "/v1/claim", worker, { body: { n: 1, loaded_models: [""] } });
    assert.equal(bad.status, 422, "an empty name is refused");
  });

  it("fails a job whose uploaded input is gone, and hands it to no one", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const { ref, path } = await uploadImage(user);
    await h.parkQueuedJobs();
    const id = await h.createJob(user, { type: "img2img", params: { prompt: "in oils", image: ref } });
    const storage = supabaseStorage({ SUPABASE_URL: h.target.url, SUPABASE_SERVICE_ROLE_KEY: h.target.serviceRoleKey });
    await storage.remove("inputs", [path]);
    const claim = await (await h.wcall("POST", "/v1/claim", worker, { body: { n: 5 } })).json();
    assert.deepEqual(claim, { jobs: [] });
    const job = await (await h.call("GET", `/v1/jobs/${id}`, { auth: user.token })).json();
    assert.equal(job.status, "failed");
    assert.equal(job.error.code, "input_missing");
  });
});

describe("POST /v1/claim with wait_s (long poll)", () => {
  it("returns a job created while it waits at once, woken by NOTIFY kiln_queue", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker(["txt2img"])];
    await h.parkQueuedJobs();
    const started = Date.now();
    const claim = h.wcall("POST", "/v1/claim", worker, { body: { n: 1, wait_s: 4 } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const id = await h.createJob(user);
    const created = Date.now();
    const body = await (await claim).json();
    assert.equal(body.jobs[0]?.id, id, JSON.stringify(body));
    const latency = Date.now() - created;
    // The backstop poll would take until ~1 s after the claim began; a NOTIFY takes milliseconds.
    assert.ok(latency < 500, `claimed ${latency} ms after the job was created (${created - started} ms into the wait)`);
  });

  it("returns no job when nothing comes within wait_s", async () => {
    const worker = await h.registeredWorker(["txt2img"]);
    await h.parkQueuedJobs();
    const started = Date.now();
    const response = await h.wcall("POST", "/v1/claim", worker, { body: { n: 1, wait_s: 1.2 } });
    const elapsed = Date.now() - started;
    assert.deepEqual(await response.json(), { jobs: [] });
    assert.ok(elapsed >= 1200 && elapsed < 2500, `answered after ${elapsed} ms`);
  });

  it("claims nothing for a client that went away, so no job waits out a lease unseen", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker(["txt2img"])];
    await h.parkQueuedJobs();
    const gone = new AbortController();
    const claim = h.wcall("POST", "/v1/claim", worker, { body: { n: 1, wait_s: 3 }, signal: gone.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    gone.abort();
    await assert.rejects(claim);
    const id = await h.createJob(user);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const [row] = await h.sql`select status from public.jobs where id = ${id}`;
    assert.equal(row.status, "queued");
  });

  it("wakes only for its own job types", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker(["upscale"])];
    await h.parkQueuedJobs();
    const claim = h.wcall("POST", "/v1/claim", worker, { body: { n: 1, wait_s: 0.8 } });
    await h.createJob(user);
    assert.deepEqual(await (await claim).json(), { jobs: [] });
  });
});
