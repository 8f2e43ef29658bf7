/**
 * The API function under real Deno: `deno check` of the entry point passes, and the entry point, run by Deno
 * on the local stack's database, answers health, an API-key call, a job creation and the OpenAPI document.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { denoBinary } from "../../../scripts/deno_binaries.ts";
import { LOCAL_JWT_SECRET } from "../../../scripts/local/jwt_keys.ts";
import { type DenoApi, startDenoApi } from "../../../scripts/testing/deno_function.ts";
import { socketErrorsAfterRefusals } from "../../../scripts/testing/keep_alive_refusals.ts";
import { type ApiHarness, startApiHarness } from "./testing/api_harness.ts";

describe("the api function under Deno", { timeout: 180_000 }, () => {
  let h: ApiHarness;
  let deno: DenoApi;
  before(async () => {
    h = await startApiHarness();
    deno = await startDenoApi({
      SUPABASE_URL: h.target.url,
      SUPABASE_DB_URL: h.target.functionsDbUrl,
      KILN_JWT_SECRET: LOCAL_JWT_SECRET,
    });
  });
  after(async () => {
    await deno?.stop();
    await h?.close();
  });

  it("type-checks under deno check", () => {
    const result = spawnSync(denoBinary("current"), ["check", "supabase/functions/api/index.ts"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });

  it("answers /api/health", async () => {
    const res = await fetch(`${deno.url}/api/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { database: string }).database, "reachable");
    assert.ok(res.headers.get("ratelimit-limit"), "rate-limited like every route");
  });

  it("authenticates an API key and creates a job", async () => {
    const user = await h.user();
    const key = await h.apiKey(user, ["account:read", "jobs:write"]);
    const me = await fetch(`${deno.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { id: string }).id, user.id);
    const job = await fetch(`${deno.url}/api/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "txt2img", params: { prompt: "a kiln", width: 512, height: 512, steps: 4 } }),
    });
    assert.equal(job.status, 201, await job.clone().text());
    const refused = await fetch(`${deno.url}/api/v1/me`);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "missing_credentials");
  });

  it("refuses a body over the limit in the envelope, and a keep-alive client loses no request over it", async () => {
    const errors = await socketErrorsAfterRefusals(`${deno.url}/api/v1/jobs`, `${deno.url}/api/health`, 20);
    assert.equal(errors, 0);
  });

  it("serves the OpenAPI document", async () => {
    const res = await fetch(`${deno.url}/api/openapi.json`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { openapi: string }).openapi, "3.1.0");
  });
});
