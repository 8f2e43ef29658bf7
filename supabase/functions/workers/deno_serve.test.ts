/**
 * The workers function under real Deno, as Supabase runs it: its entry point, run by Deno on the local stack's
 * database, refuses a user's key, registers a worker, and long-polls a claim that a NOTIFY wakes (postgres.js
 * LISTEN under Deno), then completes the job.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DenoApi, startDenoApi } from "../../../scripts/testing/deno_function.ts";
import { registration, startWorkerHarness, type WorkerHarness } from "./testing/worker_harness.ts";

describe("the workers function under Deno", { timeout: 180_000 }, () => {
  let h: WorkerHarness;
  let deno: DenoApi;
  before(async () => {
    h = await startWorkerHarness();
    const env = {
      SUPABASE_URL: h.target.url,
      SUPABASE_DB_URL: h.target.functionsDbUrl,
      SUPABASE_SERVICE_ROLE_KEY: h.target.serviceRoleKey,
    };
    deno = await startDenoApi(env, 60_000, "workers");
  });
  after(async () => {
    await deno?.stop();
    await h?.close();
  });

  const post = (path: string, token: string, body: unknown) =>
    fetch(`${deno.url}/workers${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("registers, wakes a long-polling claim on NOTIFY, and completes the job", async () => {
    const user = await h.user();
    const refused = await post("/v1/claim", await h.apiKey(user, ["jobs:write"]), { n: 1 });
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "worker_unauthorized");
    const worker = await h.worker();
    const registered = await post("/v1/register", worker.token, registration(["txt2img"]));
    assert.equal(registered.status, 200, await registered.clone().text());
    await h.parkQueuedJobs();
    const claim = post("/v1/claim", worker.token, { n: 1, wait_s: 5 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const id = await h.createJob(user);
    const created = Date.now();
    const { jobs } = (await (await claim).json()) as { jobs: { id: string; fencing_token: string }[] };
    assert.equal(jobs[0]?.id, id);
    assert.ok(Date.now() - created < 700, `claimed ${Date.now() - created} ms after the job was created`);
    const done = await post(`/v1/jobs/${id}/complete`, worker.token, {
      fencing_token: jobs[0].fencing_token,
      outputs: [],
    });
    assert.equal(((await done.json()) as { job: { status: string } }).job.status, "succeeded");
  });
});
