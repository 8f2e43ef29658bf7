/**
 * The local gateway behaves as hosted Supabase does where the difference would flip an outcome: a function's
 * GET answer in text/html reaches the caller as text/plain, and every setting in the README's configuration table
 * that the shell of `npm start` sets reaches the functions (what the stack supplies itself stays its own).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type StackTarget, startLocalTarget } from "../testing/test_stack.ts";
import { servedAsHosted } from "./gateway.ts";

describe("the gateway's function answers", () => {
  const page = () =>
    new Response("<h1>hi</h1>", { headers: { "content-type": "text/html; charset=utf-8", etag: "x" } });

  it("rewrites a GET's text/html to text/plain, body and other headers kept", async () => {
    const served = servedAsHosted("GET", page());
    assert.equal(served.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(served.headers.get("etag"), "x");
    assert.equal(await served.text(), "<h1>hi</h1>");
  });

  it("leaves other methods and other types as they are", () => {
    assert.match(servedAsHosted("POST", page()).headers.get("content-type") ?? "", /^text\/html/);
    const json = Response.json({ ok: true });
    assert.equal(servedAsHosted("GET", json), json);
  });
});

describe("settings under the local stack", () => {
  let target: StackTarget;
  before(async () => {
    target = await startLocalTarget({
      settings: {
        KILN_DASHBOARD_URL: "https://dash.example.test",
        KILN_RATE_LIMIT_IP_PER_MINUTE: "77",
        KILN_JWT_SECRET: "a-secret-the-stack-must-not-take-from-the-shell",
        PATH: "/not/a/function/setting",
      },
    });
  });
  after(async () => {
    await target?.stop();
  });

  it("reach the api function, and the stack keeps its own JWT secret", async () => {
    const docs = await fetch(`${target.url}/functions/v1/api/docs`);
    assert.equal(((await docs.json()) as { reference_url: string }).reference_url, "https://dash.example.test/docs");
    assert.equal(docs.headers.get("ratelimit-limit"), "77");
    const signup = await fetch(`${target.url}/auth/v1/signup`, {
      method: "POST",
      headers: { apikey: target.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: `gw-${Date.now()}@example.test`, password: "correct horse battery" }),
    });
    const { access_token } = (await signup.json()) as { access_token: string };
    const me = await fetch(`${target.url}/functions/v1/api/v1/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    assert.equal(me.status, 200);
  });
});

describe("routes the local platform does not have", () => {
  let target: StackTarget;
  before(async () => {
    target = await startLocalTarget();
  });
  after(async () => {
    await target?.stop();
  });

  it("answer in each service's JSON error shape, which the clients can parse", async () => {
    const auth = await fetch(`${target.url}/auth/v1/factors/x/challenge`, {
      headers: { apikey: target.anonKey, "x-supabase-api-version": "2024-01-01" },
    });
    assert.equal(auth.status, 404);
    assert.deepEqual(await auth.json(), {
      code: "not_found",
      message: "The local stack does not serve GET /auth/v1/factors/x/challenge",
    });
    const storage = await fetch(`${target.url}/storage/v1/nope`);
    assert.equal(storage.status, 404);
    assert.deepEqual(await storage.json(), {
      statusCode: 404,
      error: "Not Found",
      message: "Route GET:/nope not found",
    });
  });
});
