/** GET /v1/me: the caller's profile, credits, limits, usage this month, and how they authenticated. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SCOPES } from "../auth/principal.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

async function me(init: { auth?: string; headers?: Record<string, string> }) {
  const response = await h.call("GET", "/v1/me", init);
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

describe("GET /v1/me", () => {
  it("shows the address the gateway saw, whatever forwarding headers the client forges", async () => {
    const user = await h.user();
    const forged = await me({
      auth: user.token,
      headers: {
        "cf-connecting-ip": "203.0.113.9",
        "x-forwarded-for": "198.51.100.7, 10.0.0.1",
        "x-real-ip": "1.2.3.4",
      },
    });
    assert.equal(
      forged.client_ip,
      "127.0.0.1",
      "the local gateway replaces cf-connecting-ip, as hosted Cloudflare does",
    );
  });

  it("describes a signed-in user", async () => {
    const user = await h.user();
    const body = await me({ auth: user.token });
    assert.deepEqual(body, {
      id: user.id,
      email: user.email,
      role: "user",
      credits: 3000,
      limits: {
        max_active_jobs: body.limits.max_active_jobs,
        rate_limit_per_minute: null,
        account_rate_limit_per_minute: { read: 600, create: 60 },
      },
      usage_this_month: { jobs: 0, credits_spent: 0 },
      principal: { kind: "user", api_key_id: null, scopes: [...SCOPES] },
      client_ip: "127.0.0.1",
    });
    assert.ok(Number.isInteger(body.limits.max_active_jobs) && body.limits.max_active_jobs > 0);
  });

  it("shows an administrator's role and a user's own job limit", async () => {
    const admin = await h.user({ admin: true, credits: 10 });
    await h.sql`update public.profiles set max_active_jobs = 7 where id = ${admin.id}`;
    const body = await me({ auth: admin.token });
    assert.equal(body.role, "admin");
    assert.equal(body.credits, 10);
    assert.equal(body.limits.max_active_jobs, 7);
  });

  it("describes an API key: its id, scopes and rate limit", async () => {
    const user = await h.user();
    const key = await h.apiKey(user, ["account:read", "jobs:read"], { ratePerMinute: 42 });
    const [{ id }] = await h.sql`select id from public.api_keys where owner_id = ${user.id}`;
    for (const init of [{ auth: key }, { headers: { "x-api-key": key } }]) {
      const body = await me(init);
      assert.equal(body.id, user.id);
      assert.equal(body.limits.rate_limit_per_minute, 42);
      assert.deepEqual(body.principal, { kind: "api_key", api_key_id: id, scopes: ["account:read", "jobs:read"] });
    }
  });

  it("counts credits spent this month, net of refunds", async () => {
    const user = await h.user();
    await h.sql`select kiln.post_credits(${user.id}, -8, 'job_charge')`;
    await h.sql`select kiln.post_credits(${user.id}, -5, 'job_charge')`;
    await h.sql`select kiln.post_credits(${user.id}, 5, 'job_refund')`;
    const body = await me({ auth: user.token });
    assert.equal(body.credits, 2992);
    assert.equal(body.usage_this_month.credits_spent, 8);
  });

  it("refuses a valid token whose user has no account", async () => {
    const response = await h.call("GET", "/v1/me", { auth: await h.token("9d1f8e22-5a8b-4c1e-9f0d-1b2c3d4e5f60") });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error.code, "invalid_token");
  });
});
