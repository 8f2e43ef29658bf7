/** POST /v1/jobs over HTTP: creation, params validation, idempotency, refusals and Prefer: wait. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { completeJob, onlineWorker } from "../testing/job_fixtures.ts";
import { listenToQueue } from "../testing/queue_listener.ts";

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

const txt2img = { type: "txt2img", params: { prompt: "a kiln at dusk" } };

async function credits(id: string): Promise<number> {
  const [row] = await h.sql<
    { credits: number }[]
  >`select credits::int as credits from public.profiles where id = ${id}`;
  return row.credits;
}

/** The error body of a refusal, after checking its status and code. */
async function refused(response: Response, status: number, code: string) {
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  return body.error as { message: string; details?: Record<string, string> };
}

describe("POST /v1/jobs", () => {
  it("queues a txt2img job with defaults, charges it and warns when no worker can run it", async () => {
    const user = await h.user();
    const response = await h.call("POST", "/v1/jobs", { auth: user.token, body: { ...txt2img, metadata: { a: 1 } } });
    const job = await response.json();
    assert.equal(response.status, 201, JSON.stringify(job));
    assert.equal(response.headers.get("location"), `/functions/v1/api/v1/jobs/${job.id}`);
    assert.equal(job.status, "queued");
    assert.deepEqual(job.params, {
      prompt: "a kiln at dusk",
      negative_prompt: "",
      width: 1024,
      height: 1024,
      steps: 20,
      cfg: 7,
      batch_size: 1,
      sampler: "euler",
      scheduler: "normal",
    });
    assert.equal(job.cost, 10 + Math.ceil(20 * 1.048576));
    assert.deepEqual(job.metadata, { a: 1 });
    assert.equal(job.queue.workers_online, 0);
    assert.equal(typeof job.queue.position, "number");
    assert.deepEqual(job.warnings, [
      "No online worker can run txt2img jobs right now; the job will wait in the queue.",
    ]);
    assert.equal(await credits(user.id), 3000 - job.cost);
  });

  it("counts online workers for the type, without a warning", async () => {
    await onlineWorker(h.sql, ["upscale"]);
    const user = await h.user();
    const key = await h.apiKey(user, ["jobs:write"]);
    const response = await h.call("POST", "/v1/jobs", {
      auth: key,
      body: { type: "upscale", params: { image: "https://example.com/a.png", scale: 4 } },
    });
    const job = await response.json();
    assert.equal(response.status, 201, JSON.stringify(job));
    assert.equal(job.cost, 20);
    assert.deepEqual(job.queue, { position: 1, workers_online: 1, workers_able: 1 });
    assert.deepEqual(job.warnings, []);
    const [row] = await h.sql`select api_key_id from public.jobs where id = ${job.id}`;
    assert.ok(row.api_key_id, "the job remembers the API key that made it");
  });

  it("answers 422 with friendly messages at params.<field>", async () => {
    const user = await h.user();
    const bad = {
      type: "txt2img",
      params: { width: 1020, steps: 0, cfg: 31, seed: -1, sampler: "fast", batch_size: 9, widht: 512 },
    };
    const error = await refused(
      await h.call("POST", "/v1/jobs", { auth: user.token, body: bad }),
      422,
      "validation_failed",
    );
    assert.equal(error.details?.["params.width"], "width must be a multiple of 8 between 64 and 2048");
    assert.equal(error.details?.["params.steps"], "steps must be a whole number between 1 and 150");
    assert.equal(error.details?.["params.cfg"], "cfg must be a number between 0 and 30");
    assert.equal(error.details?.["params.seed"], "seed must be a whole number between 0 and 4294967295");
    assert.equal(error.details?.["params.batch_size"], "batch_size must be a whole number between 1 and 8");
    assert.equal(error.details?.["params.prompt"], "prompt is required");
    assert.match(error.details?.["params.sampler"] ?? "", /^sampler must be one of ComfyUI's samplers: euler, /);
    assert.match(error.details?.params ?? "", /^unknown field "widht"; the fields are: prompt, negative_prompt, /);
    assert.equal(await credits(user.id), 3000, "nothing is charged");
    const long = { type: "txt2img", params: { prompt: "x".repeat(2001) } };
    const tooLong = await refused(
      await h.call("POST", "/v1/jobs", { auth: user.token, body: long }),
      422,
      "validation_failed",
    );
    assert.equal(tooLong.details?.["params.prompt"], "prompt must be text of 1 to 2000 characters");
  });

  it("answers 422 for unknown body fields, unknown types and bad images", async () => {
    const user = await h.user();
    const call = (body: unknown) => h.call("POST", "/v1/jobs", { auth: user.token, body });
    const unknown = await refused(await call({ ...txt2img, priorty: 5 }), 422, "validation_failed");
    assert.match(unknown.details?.["(body)"] ?? "", /^unknown field "priorty"; the fields are: type, params, /);
    const type = await refused(await call({ type: "txt2vid", params: {} }), 422, "validation_failed");
    assert.equal(type.details?.type, "type must be one of: txt2img, img2img, upscale, workflow");
    const image = { type: "img2img", params: { prompt: "p", image: "http://example.com/a.png", denoise: 2 } };
    const img = await refused(await call(image), 422, "validation_failed");
    assert.equal(img.details?.["params.image"], "image must be an https URL or upload:<id> from POST /v1/uploads");
    assert.equal(img.details?.["params.denoise"], "denoise must be a number between 0 and 1");
    const upload = { type: "upscale", params: { image: `upload:${crypto.randomUUID()}` } };
    const missing = await refused(await call(upload), 422, "validation_failed");
    assert.match(missing.details?.["params.image"] ?? "", /has no file yet/);
  });

  it("accepts per-job webhooks only to https URLs on public addresses (the webhook URL policy)", async () => {
    const user = await h.user();
    const call = (body: unknown) => h.call("POST", "/v1/jobs", { auth: user.token, body });
    const http = await refused(
      await call({ ...txt2img, webhook: "http://example.com/hook" }),
      422,
      "webhook_url_refused",
    );
    assert.match(String(http.details?.webhook), /plain http is allowed only for hosts on the allow-list/);
    for (const webhook of [
      "https://127.0.0.1/h",
      "https://169.254.169.254/",
      "https://[::1]/h",
      "https://10.0.0.1/h",
    ]) {
      const refusal = await refused(await call({ ...txt2img, webhook }), 422, "webhook_url_refused");
      assert.match(String(refusal.details?.webhook), /address; only public addresses are allowed/, webhook);
    }
    const unresolvable = await refused(
      await call({ ...txt2img, webhook: "https://nowhere.kiln.test/h" }),
      422,
      "webhook_url_refused",
    );
    assert.match(String(unresolvable.details?.webhook), /does not resolve/);
    const events = await refused(
      await call({ ...txt2img, webhook_events: ["job.succeeded"] }),
      422,
      "validation_failed",
    );
    assert.equal(events.details?.webhook_events, "webhook_events needs a webhook");
    const ok = await call({ ...txt2img, webhook: "https://example.com/hook", webhook_events: ["job.succeeded"] });
    assert.equal(ok.status, 201);
    const [row] = await h.sql`select webhook_url, webhook_events from public.jobs where id = ${(await ok.json()).id}`;
    assert.deepEqual(row, { webhook_url: "https://example.com/hook", webhook_events: ["job.succeeded"] });
  });

  it("refuses input image URLs on non-public addresses at create, naming the field (the input URL policy)", async () => {
    const user = await h.user({ credits: 100 });
    const call = (image: string) =>
      h.call("POST", "/v1/jobs", { auth: user.token, body: { type: "upscale", params: { image, scale: 2 } } });
    const hosts = ["127.0.0.1", "169.254.169.254", "[::1]", "2130706433", "10.0.0.1", "192.168.0.7", "[fd00:ec2::254]"];
    for (const host of hosts) {
      const refusal = await refused(await call(`https://${host}/a.png`), 422, "input_url_refused");
      assert.match(String(refusal.details?.["params.image"]), /only public addresses are allowed/, host);
    }
    const unknown = await refused(await call("https://nowhere.kiln.test/a.png"), 422, "input_url_refused");
    assert.match(String(unknown.details?.["params.image"]), /does not resolve/);
    const [{ n }] = await h.sql<
      { n: number }[]
    >`select count(*)::int as n from public.jobs where owner_id = ${user.id}`;
    assert.equal(n, 0, "nothing was queued or charged");
    assert.equal((await call("https://example.com/a.png")).status, 201);
  });

  it("refuses text Postgres cannot store (NUL, unpaired surrogates) with 422 naming each field, and stores none", async () => {
    const user = await h.user();
    const post = (body: string) =>
      h.call("POST", "/v1/jobs", { auth: user.token, body, headers: { "content-type": "application/json" } });
    const cases: [string, string][] = [
      [String.raw`{"type":"txt2img","params":{"prompt":"a\u0000b"}}`, "params.prompt"],
      [String.raw`{"type":"txt2img","params":{"prompt":"ok"},"metadata":{"k":"a\u0000b"}}`, "metadata.k"],
      [String.raw`{"type":"txt2img","params":{"prompt":"ok"},"metadata":{"k\u0000":"v"}}`, "metadata.k\u0000"],
      [String.raw`{"type":"txt2img","params":{"prompt":"\ud800"}}`, "params.prompt"],
      [String.raw`{"type":"txt2img","params":{"prompt":"ok","negative_prompt":"\udfff!"}}`, "params.negative_prompt"],
    ];
    for (const [body, path] of cases) {
      const refusal = await refused(await post(body), 422, "validation_failed");
      assert.ok(refusal.details?.[path], `${body} names ${path}`);
    }
    const fine = await post(String.raw`{"type":"txt2img","params":{"prompt":"kiln \ud83d\udd25 \\u0000 literal"}}`);
    assert.equal(fine.status, 201);
    const [{ n }] = await h.sql<
      { n: number }[]
    >`select count(*)::int as n from public.jobs where owner_id = ${user.id}`;
    assert.equal(n, 1);
  });

  it("replays an Idempotency-Key with the same body and refuses it with another (409)", async () => {
    const user = await h.user();
    const headers = { "idempotency-key": "order-1042" };
    const first = await h.call("POST", "/v1/jobs", { auth: user.token, body: txt2img, headers });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    const reordered = { params: { prompt: "a kiln at dusk" }, type: "txt2img" };
    const again = await h.call("POST", "/v1/jobs", { auth: user.token, body: reordered, headers });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal((await again.json()).id, (await first.json()).id);
    const other = { type: "txt2img", params: { prompt: "another" } };
    await refused(
      await h.call("POST", "/v1/jobs", { auth: user.token, body: other, headers }),
      409,
      "idempotency_key_reused",
    );
    const [{ count }] = await h.sql`select count(*)::int as count from public.jobs where owner_id = ${user.id}`;
    assert.equal(count, 1);
  });

  it("refuses without credentials (401), without jobs:write (403), and when credits or slots run out", async () => {
    await refused(await h.call("POST", "/v1/jobs", { body: txt2img }), 401, "missing_credentials");
    const user = await h.user({ credits: 5 });
    const readOnly = await h.apiKey(user, ["jobs:read"]);
    await refused(await h.call("POST", "/v1/jobs", { auth: readOnly, body: txt2img }), 403, "missing_scope");
    const poor = await refused(
      await h.call("POST", "/v1/jobs", { auth: user.token, body: txt2img }),
      402,
      "insufficient_credits",
    );
    assert.deepEqual(poor.details, { cost: 31, balance: 5 });
    const busy = await h.user();
    await h.sql`update public.profiles set max_active_jobs = 1 where id = ${busy.id}`;
    assert.equal((await h.call("POST", "/v1/jobs", { auth: busy.token, body: txt2img })).status, 201);
    await refused(await h.call("POST", "/v1/jobs", { auth: busy.token, body: txt2img }), 429, "too_many_active_jobs");
  });
});

describe("queue wake-ups", () => {
  it("NOTIFYs kiln_queue once the create has committed; create_job leaves it to a caller that says so", async () => {
    const { heard, until, close } = await listenToQueue(h.target.dbUrl);
    try {
      const user = await h.user();
      const response = await h.call("POST", "/v1/jobs", {
        auth: user.token,
        body: { type: "upscale", params: { image: "https://example.com/a.png", scale: 2 } },
      });
      assert.equal(response.status, 201);
      assert.equal(await until(1), 1);
      assert.deepEqual(heard, ["upscale"]);

      const create = (notify: boolean) => h.sql`
        select kiln.create_job(p_owner_id => ${user.id}, p_type => 'txt2img', p_params => '{}', p_cost => 1,
                               p_notify => ${notify})`;
      await create(false);
      await create(true);
      assert.equal(await until(2), 2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(heard, ["upscale", "txt2img"], "only the create that kept its NOTIFY sent one");
    } finally {
      await close();
    }
  });
});

describe("POST /v1/jobs with Prefer: wait", () => {
  it("answers 200 with the finished job when it ends within the wait", async () => {
    const user = await h.user();
    const pending = h.call("POST", "/v1/jobs", { auth: user.token, body: txt2img, headers: { prefer: "wait=10" } });
    let id: string | undefined;
    while (!id) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      [{ id } = { id: undefined }] = await h.sql<
        { id: string }[]
      >`select id from public.jobs where owner_id = ${user.id}`;
    }
    await completeJob(h.sql, id, [{ path: `${user.id}/${id}/out.png`, content_type: "image/png", size: 68 }]);
    const response = await pending;
    const job = await response.json();
    assert.equal(response.status, 200, JSON.stringify(job));
    assert.equal(response.headers.get("preference-applied"), "wait=10");
    assert.equal(job.status, "succeeded");
    assert.equal(job.outputs.length, 1);
  });

  it("answers 202 with Location when the wait passes", async () => {
    const user = await h.user();
    const started = Date.now();
    const response = await h.call("POST", "/v1/jobs", {
      auth: user.token,
      body: txt2img,
      headers: { prefer: "wait=1" },
    });
    const job = await response.json();
    assert.equal(response.status, 202, JSON.stringify(job));
    assert.ok(Date.now() - started >= 1000);
    assert.equal(response.headers.get("location"), `/functions/v1/api/v1/jobs/${job.id}`);
    assert.equal(response.headers.get("preference-applied"), "wait=1");
    assert.equal(job.status, "queued");
  });
});

// Last: the server answers 413 before reading the body, which leaves the client's connection unusable.
describe("POST /v1/jobs body limits", () => {
  it("refuses bodies over 1 MB (413) and bodies that are not JSON (415)", async () => {
    const user = await h.user();
    const big = { ...txt2img, metadata: { blob: "x".repeat(1024 * 1024) } };
    await refused(await h.call("POST", "/v1/jobs", { auth: user.token, body: big }), 413, "payload_too_large");
    const text = { auth: user.token, body: "type=txt2img", headers: { "content-type": "text/plain" } };
    await refused(await h.call("POST", "/v1/jobs", text), 415, "unsupported_media_type");
  });
});
