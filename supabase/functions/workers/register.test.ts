/**
 * The worker protocol's gate and the worker's own calls: every route refuses what is not a live worker token
 * (no token, garbled, unknown, revoked, a user's API key or access token); register stores what the worker
 * runs and answers the lease and heartbeat timing; deregister drains; bad requests are 422 with field paths.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError } from "../api/testing/auth_refusals.ts";
import { registration, startWorkerHarness, type WorkerHarness } from "./testing/worker_harness.ts";

let h: WorkerHarness;
before(async () => {
  h = await startWorkerHarness();
});
after(() => h.close());

const JOB = "00000000-0000-4000-8000-000000000001";
const TOKEN = { fencing_token: "1" };
const ROUTES: { path: string; body: unknown }[] = [
  { path: "/v1/register", body: registration() },
  { path: "/v1/deregister", body: {} },
  { path: "/v1/claim", body: { n: 1 } },
  { path: "/v1/heartbeat", body: { jobs: [] } },
  { path: `/v1/jobs/${JOB}/uploads`, body: { ...TOKEN, files: [{ name: "out.png", content_type: "image/png" }] } },
  { path: `/v1/jobs/${JOB}/complete`, body: { ...TOKEN, outputs: [] } },
  {
    path: `/v1/jobs/${JOB}/fail`,
    body: { ...TOKEN, error: { code: "oom", message: "out of memory", retryable: true } },
  },
  { path: `/v1/jobs/${JOB}/canceled`, body: TOKEN },
];

describe("worker authentication", () => {
  it("refuses every route without a live worker token (401 worker_unauthorized)", async () => {
    const user = await h.user();
    const revoked = await h.worker({ revoked: true });
    const cases: [string, string | undefined][] = [
      ["no token", undefined],
      ["garbled token", "kiln_wk_!!garbled!!"],
      ["unknown token", `kiln_wk_${"A".repeat(52)}`],
      ["revoked token", revoked.token],
      ["a user's API key", await h.apiKey(user, ["jobs:read", "jobs:write"])],
      ["a user's access token", user.token],
    ];
    for (const route of ROUTES) {
      for (const [name, auth] of cases) {
        const response = await h.wcall("POST", route.path, auth, { body: route.body });
        await assertError(response, 401, "worker_unauthorized", `${route.path}, ${name}`);
      }
    }
  });

  it("lets a live token through, and says why a revoked one is refused", async () => {
    const worker = await h.registeredWorker();
    const ok = await h.wcall("POST", "/v1/heartbeat", worker, { body: { jobs: [] } });
    assert.equal(ok.status, 200, await ok.text());
    await h.sql`update public.workers set revoked_at = now() where id = ${worker.id}`;
    const body = await assertError(
      await h.wcall("POST", "/v1/claim", worker, { body: { n: 1 } }),
      401,
      "worker_unauthorized",
      "revoked",
    );
    assert.match(body.error.message, /revoked/);
  });
});

describe("POST /v1/register", () => {
  it("stores job types and capabilities, ends a drain, and answers lease and heartbeat timing", async () => {
    const worker = await h.worker();
    await h.sql`update public.workers set draining = true where id = ${worker.id}`;
    const response = await h.wcall("POST", "/v1/register", worker, {
      body: registration(["txt2img", "upscale"]),
      headers: { "x-forwarded-for": "203.0.113.7", "cf-connecting-ip": "203.0.113.8" },
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.worker_id, worker.id);
    assert.equal(body.lease_seconds, 30);
    assert.equal(body.heartbeat_interval_ms, 10_000);
    assert.equal(body.queue_topic, "kiln:queue");
    const [row] = await h.sql`
      select job_types, capabilities, comfyui_version, draining, registered_at, last_seen_at
        from public.workers where id = ${worker.id}`;
    assert.deepEqual(row.job_types, ["txt2img", "upscale"]);
    assert.equal(row.capabilities.slots, 1);
    assert.equal(row.capabilities.runtime, "node 20");
    assert.deepEqual(row.capabilities.comfyui[0].models.checkpoints, ["sd_xl_base_1.0.safetensors"]);
    assert.equal(row.comfyui_version, "0.3.40");
    assert.equal(row.draining, false);
    assert.ok(row.registered_at && row.last_seen_at);
    const [audit] = await h.sql`
      select actor_kind, host(ip) as ip, details from public.audit_log
       where action = 'worker.registered' and target_id = ${worker.id}`;
    assert.equal(audit.actor_kind, "worker");
    assert.equal(audit.ip, "127.0.0.1", "the address the gateway saw, never a forwarding header the worker wrote");
    assert.deepEqual(audit.details.job_types, ["txt2img", "upscale"]);
  });

  it("refuses a bad registration with 422 and a message per field path", async () => {
    const worker = await h.worker();
    const body = { ...registration(), slots: 0, job_types: ["Not A Type"], extra: true };
    const error = await assertError(
      await h.wcall("POST", "/v1/register", worker, { body }),
      422,
      "validation_failed",
      "bad registration",
    );
    assert.deepEqual(Object.keys(error.error.details ?? {}).sort(), ["(body)", "job_types.0", "slots"]);
    await assertError(await h.wcall("POST", "/v1/register", worker, { body: "{" }), 400, "invalid_json", "not JSON");
  });
});

describe("POST /v1/deregister", () => {
  it("drains: answers the jobs still held, and claims give nothing until it registers again", async () => {
    const user = await h.user();
    const worker = await h.registeredWorker(["txt2img"]);
    await h.claimNew(user, worker);
    await h.createJob(user);
    const response = await h.wcall("POST", "/v1/deregister", worker, { body: {} });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { worker_id: worker.id, running_jobs: 1 });
    const claim = await h.wcall("POST", "/v1/claim", worker, { body: { n: 1 } });
    assert.deepEqual(await claim.json(), { jobs: [] });
    const [audit] =
      await h.sql`select 1 from public.audit_log where action = 'worker.deregistered' and target_id = ${worker.id}`;
    assert.ok(audit, "deregistering is audited");
    await h.wcall("POST", "/v1/register", worker, { body: registration(["txt2img"]) });
    const again = await (await h.wcall("POST", "/v1/claim", worker, { body: { n: 1 } })).json();
    assert.equal(again.jobs.length, 1, "registering again ends the drain");
  });
});

describe("requests the protocol refuses", () => {
  it("answers 422 with field paths, 409 before registering, 404 for unknown jobs and routes", async () => {
    const fresh = await h.worker();
    await assertError(
      await h.wcall("POST", "/v1/claim", fresh, { body: { n: 1 } }),
      409,
      "invalid_state",
      "claim before register",
    );
    const worker = await h.registeredWorker(["txt2img"]);
    const cases: { path: string; body: unknown; fields: string[] }[] = [
      { path: "/v1/claim", body: { n: 0, wait_s: 21 }, fields: ["n", "wait_s"] },
      { path: "/v1/claim", body: { n: 1, job_types: ["upscale"] }, fields: ["job_types"] },
      {
        path: "/v1/heartbeat",
        body: { jobs: [{ id: "x", fencing_token: "-1" }] },
        fields: ["jobs.0.fencing_token", "jobs.0.id"],
      },
      { path: "/v1/jobs/not-a-uuid/complete", body: { fencing_token: "1", outputs: [] }, fields: ["id"] },
      {
        path: `/v1/jobs/${JOB}/uploads`,
        body: { fencing_token: "1", files: [{ name: "../x.png", content_type: "image/png" }] },
        fields: ["files.0.name"],
      },
      {
        path: `/v1/jobs/${JOB}/fail`,
        body: { fencing_token: "1", error: { code: "Bad Code", message: "x" } },
        fields: ["error.code", "error.retryable"],
      },
    ];
    for (const c of cases) {
      const error = await assertError(
        await h.wcall("POST", c.path, worker, { body: c.body }),
        422,
        "validation_failed",
        c.path,
      );
      assert.deepEqual(Object.keys(error.error.details ?? {}).sort(), c.fields, c.path);
    }
    await assertError(
      await h.wcall("POST", `/v1/jobs/${JOB}/canceled`, worker, { body: TOKEN }),
      404,
      "not_found",
      "unknown job",
    );
    await assertError(await h.wcall("GET", "/v1/nothing", worker), 404, "not_found", "unknown route");
  });
});
