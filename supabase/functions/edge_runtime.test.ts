/**
 * The three functions as deployed: each bundle that `npm run build:functions` writes (the very file
 * `supabase functions deploy` uploads) runs under Deno 2.1.4, the Edge Runtime's Deno, as a child process with the
 * environment the platform gives (no SUPABASE_JWT_SECRET: the legacy secret comes as KILN_JWT_SECRET), and is
 * driven over HTTP the way its callers use it: a user signs in and makes a key, creates, reads and cancels a job
 * (api); a GPU worker registers, claims, heartbeats and completes (workers); the dispatcher, called with its secret,
 * delivers one signed webhook to a receiver on loopback (dispatch).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { buildFunction } from "../../scripts/build_functions.ts";
import { edgeDenoMissing } from "../../scripts/deno_binaries.ts";
import { LOCAL_JWT_SECRET } from "../../scripts/local/jwt_keys.ts";
import { type DenoApi, startDenoFunction } from "../../scripts/testing/deno_function.ts";
import { startReceiver, type WebhookReceiver } from "./dispatch/testing/webhook_receiver.ts";
import { registration, startWorkerHarness, type WorkerHarness } from "./workers/testing/worker_harness.ts";

const DISPATCH_SECRET = "edge-runtime-dispatch-secret-0123456789";

describe("the deployed bundles under Deno 2.1.4 (the hosted Edge Runtime's)", {
  skip: edgeDenoMissing(),
  timeout: 240_000,
}, () => {
  let h: WorkerHarness;
  let receiver: WebhookReceiver;
  const deno: Record<string, DenoApi> = {};

  before(async () => {
    h = await startWorkerHarness();
    receiver = await startReceiver();
    // What a hosted project gives every function, plus the secrets Kiln's README tells its owner to set.
    const platform = {
      SUPABASE_URL: h.target.url,
      SUPABASE_DB_URL: h.target.functionsDbUrl,
      SUPABASE_ANON_KEY: h.target.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: h.target.serviceRoleKey,
      SUPABASE_JWKS: JSON.stringify({ keys: [] }),
      KILN_JWT_SECRET: LOCAL_JWT_SECRET,
      KILN_WEBHOOK_HTTP_ALLOW: "127.0.0.1",
    };
    await Promise.all(["api", "workers", "dispatch"].map((name) => buildFunction(name)));
    const started = await Promise.all(
      (["api", "workers", "dispatch"] as const).map((name) =>
        startDenoFunction(name === "dispatch" ? { ...platform, KILN_DISPATCH_SECRET: DISPATCH_SECRET } : platform, {
          name,
          as: "deployed",
        }),
      ),
    );
    [deno.api, deno.workers, deno.dispatch] = started;
  });
  after(async () => {
    await Promise.all(Object.values(deno).map((d) => d.stop()));
    await receiver?.close();
    await h?.close();
  });

  const call = async (name: string, method: string, path: string, bearer?: string, body?: unknown) => {
    const response = await fetch(`${deno[name].url}/${name}${path}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, text };
  };

  /** Signs up and in through the stack's Auth, as supabase-js would: returns the access token. */
  async function signIn(email: string): Promise<string> {
    const auth = (path: string, body: unknown) =>
      fetch(`${h.target.url}/auth/v1/${path}`, {
        method: "POST",
        headers: { apikey: h.target.anonKey, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const password = "correct horse battery staple";
    assert.equal((await auth("signup", { email, password })).status, 200);
    const token = await auth("token?grant_type=password", { email, password });
    assert.equal(token.status, 200);
    return ((await token.json()) as { access_token: string }).access_token;
  }

  it("api: health, a signed-in user's key, then create → get → cancel", async () => {
    const health = await call("api", "GET", "/health");
    assert.equal(health.status, 200, health.text);
    assert.equal(health.body.database, "reachable");

    const jwt = await signIn(`edge-api-${Date.now()}@example.test`);
    const key = await call("api", "POST", "/v1/keys", jwt, { name: "edge", scopes: ["jobs:read", "jobs:write"] });
    assert.equal(key.status, 201, key.text);
    const secret = key.body.key as string;

    const created = await call("api", "POST", "/v1/jobs", secret, { type: "txt2img", params: { prompt: "a kiln" } });
    assert.equal(created.status, 201, created.text);
    const got = await call("api", "GET", `/v1/jobs/${created.body.id}`, secret);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.status, "queued");
    const canceled = await call("api", "POST", `/v1/jobs/${created.body.id}/cancel`, secret);
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal(canceled.body.status, "canceled");
    assert.doesNotMatch(deno.api.stderr(), /error/i);
  });

  it("workers: register → claim → heartbeat → complete, and dispatch: one signed delivery", async () => {
    const user = await h.user();
    const hook = await call("api", "POST", "/v1/webhooks", user.token, {
      url: receiver.url("/edge"),
      events: ["job.succeeded"],
    });
    assert.equal(hook.status, 201, hook.text);

    const worker = await h.worker();
    const registered = await call("workers", "POST", "/v1/register", worker.token, registration(["txt2img"]));
    assert.equal(registered.status, 200, registered.text);
    await h.parkQueuedJobs();
    const id = await h.createJob(user);
    const claimed = await call("workers", "POST", "/v1/claim", worker.token, { n: 1, wait_s: 5 });
    assert.equal(claimed.status, 200, claimed.text);
    const [job] = claimed.body.jobs as { id: string; fencing_token: string }[];
    assert.equal(job?.id, id);
    const beat = await call("workers", "POST", "/v1/heartbeat", worker.token, {
      jobs: [{ id, fencing_token: job.fencing_token, phase: "executing", progress: { value: 2, max: 4, percent: 50 } }],
    });
    assert.equal(beat.status, 200, beat.text);
    assert.equal(beat.body.jobs[0].held, true);
    const done = await call("workers", "POST", `/v1/jobs/${id}/complete`, worker.token, {
      fencing_token: job.fencing_token,
      outputs: [],
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.job.status, "succeeded");

    assert.equal((await call("dispatch", "POST", "/run", "not-the-dispatch-secret-at-all")).status, 401);
    const run = await call("dispatch", "POST", "/run", DISPATCH_SECRET);
    assert.equal(run.status, 200, run.text);
    assert.equal(run.body.deliveries.delivered, 1, run.text);
    assert.equal(receiver.requests.length, 1);
    const [request] = receiver.requests;
    const payload = new Webhook(hook.body.secret).verify(request.body, request.headers) as {
      type: string;
      data: { id: string };
    };
    assert.deepEqual([payload.type, payload.data.id], ["job.succeeded", id]);
  });
});
