/**
 * The functions behind a real transaction-mode pooler (PgBouncer, as hosted projects' port 6543): the API creates
 * jobs through it (KILN_DB_URL), and the workers function registers, long-polls, heartbeats and completes through
 * it. Where the only URL is the pooler's, the LISTEN gets no notification and a long poll still claims, by polling;
 * where SUPABASE_DB_URL stays direct, the LISTEN lives there and queries go through the pooler.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LOCAL_JWT_SECRET } from "../../../scripts/local/jwt_keys.ts";
import { testServerUrl } from "../../../scripts/testing/test_database.ts";
import {
  poolerUnavailable,
  startTransactionPooler,
  type TransactionPooler,
} from "../../../scripts/testing/transaction_pooler.ts";
import { newApp as newApiApp } from "../api/app.ts";
import { apiDeps } from "../api/deps.ts";
import { newApp } from "./app.ts";
import { workersDeps } from "./deps.ts";
import { registration, startWorkerHarness, type WorkerHarness } from "./testing/worker_harness.ts";

const skip = poolerUnavailable(testServerUrl());

describe("the functions behind a transaction-mode pooler", { skip, timeout: 120_000 }, () => {
  let h: WorkerHarness;
  let pooler: TransactionPooler;
  before(async () => {
    h = await startWorkerHarness();
    pooler = await startTransactionPooler(h.target.dbUrl);
  });
  after(async () => {
    await h?.close();
    await pooler?.stop();
  });

  /** The api and workers apps in this process, with `db` as their database settings. */
  function functionsWith(db: Record<string, string>) {
    const env = { SUPABASE_URL: h.target.url, SUPABASE_SERVICE_ROLE_KEY: h.target.serviceRoleKey, ...db };
    const logs: Record<string, unknown>[] = [];
    const api = apiDeps({ ...env, KILN_JWT_SECRET: LOCAL_JWT_SECRET }, (l) => logs.push(l));
    const workers = workersDeps(env, (l) => logs.push(l));
    const apps = { api: newApiApp(api), workers: newApp(workers) };
    after(async () => {
      await api.close();
      await workers.close();
    });
    return async (name: "api" | "workers", path: string, bearer: string, body?: unknown) => {
      const response = await apps[name].request(`/${name}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await response.json();
      assert.ok(response.status < 300, `${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
  }

  /** One job's whole way: created through the api app, long-poll claimed, heartbeated, completed. */
  async function cycle(call: ReturnType<typeof functionsWith>) {
    const user = await h.user();
    const worker = await h.worker();
    await call("workers", "/v1/register", worker.token, registration(["txt2img"]));
    await h.parkQueuedJobs();
    const claim = call("workers", "/v1/claim", worker.token, { n: 1, wait_s: 10 });
    const created = await call("api", "/v1/jobs", user.token, { type: "txt2img", params: { prompt: "pooled" } });
    const { jobs } = await claim;
    assert.equal(jobs[0]?.id, created.id);
    const { fencing_token } = jobs[0];
    const beat = await call("workers", "/v1/heartbeat", worker.token, { jobs: [{ id: created.id, fencing_token }] });
    assert.equal(beat.jobs[0].held, true);
    const done = await call("workers", `/v1/jobs/${created.id}/complete`, worker.token, { fencing_token, outputs: [] });
    assert.equal(done.job.status, "succeeded");
  }

  it("works when the pooler is the only database URL: long polls claim without a LISTEN", async () => {
    await cycle(functionsWith({ SUPABASE_DB_URL: pooler.url(h.target.functionsDbUrl) }));
  });

  it("works with queries through the pooler (KILN_DB_URL) and the LISTEN on the direct URL", async () => {
    await cycle(
      functionsWith({ SUPABASE_DB_URL: h.target.functionsDbUrl, KILN_DB_URL: pooler.url(h.target.functionsDbUrl) }),
    );
  });
});
