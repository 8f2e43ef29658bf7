/**
 * What the API says when an isolate starts, and the settings a hosted project can actually set: which tokens it
 * accepts (never the secret), the old SUPABASE_JWT_SECRET name (reserved on hosted) named for renaming, the
 * dashboard's reference page behind GET /docs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LOCAL_JWT_SECRET } from "../../../scripts/local/jwt_keys.ts";
import { type ApiHarness, startApiHarness } from "./testing/api_harness.ts";
import { appWithEnv } from "./testing/app_with_env.ts";

describe("the api's start line and hosted settings", () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness();
  });
  after(async () => {
    await h?.close();
  });

  /** The first log line of an app started with `env` (on top of the stack's), and the app. */
  async function started(env: Record<string, string | undefined>) {
    const app = appWithEnv(h, env);
    after(() => app.close());
    const [line] = app.logs;
    assert.equal(line.msg, "api started");
    return { line, app };
  }

  it("says HS256 is accepted with KILN_JWT_SECRET, and never prints the secret", async () => {
    const { line, app } = await started({ SUPABASE_JWKS: JSON.stringify({ keys: [{ kty: "EC" }] }) });
    assert.equal(line.jwt, "signing keys (JWKS) and legacy HS256 (KILN_JWT_SECRET)");
    assert.equal(line.signing_keys, 1);
    assert.equal(line.db_pool_size, 4);
    assert.ok(!JSON.stringify(app.logs).includes(LOCAL_JWT_SECRET));
    const user = await h.user();
    assert.equal((await app.call("GET", "/v1/me", { auth: user.token })).status, 200);
  });

  it("without KILN_JWT_SECRET refuses HS256 tokens, and names the old variable to rename", async () => {
    const { line, app } = await started({ KILN_JWT_SECRET: undefined, SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET });
    assert.equal(line.jwt, "signing keys (JWKS) only");
    assert.match(String(line.warning), /set the legacy secret as KILN_JWT_SECRET/);
    assert.ok(!JSON.stringify(app.logs).includes(LOCAL_JWT_SECRET));
    const user = await h.user();
    const refused = await app.call("GET", "/v1/me", { auth: user.token });
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "invalid_token");
  });

  it("links GET /docs to the dashboard's reference page when KILN_DASHBOARD_URL is set", async () => {
    const { app } = await started({ KILN_DASHBOARD_URL: "https://kiln.example.com/app" });
    const res = await app.call("GET", "/docs");
    const pointer = (await res.json()) as { reference_url: string; message: string };
    assert.equal(pointer.reference_url, "https://kiln.example.com/app/docs");
    assert.match(pointer.message, /https:\/\/kiln\.example\.com\/app\/docs/);
  });
});
