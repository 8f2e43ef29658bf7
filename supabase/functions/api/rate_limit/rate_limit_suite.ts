/**
 * The rate-limit behaviour every limiter must show, run by postgres_limiter.test.ts and upstash_limiter.test.ts
 * through the whole app: per-IP and per-principal budgets, separate create and read budgets, a key's own limit,
 * the RateLimit-* headers on every limited response and Retry-After on a 429.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, beforeEach, it } from "node:test";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { type AppWithEnv, appWithEnv } from "../testing/app_with_env.ts";

/** A random documentation-range IPv6 address, so no two requests (nor test runs) share an IP budget. */
const freshIp = () =>
  `2001:db8::${randomBytes(4)
    .toString("hex")
    .replace(/(....)(....)/, "$1:$2")}`;
const txt2img = { type: "txt2img", params: { prompt: "a kiln at dusk", width: 512, height: 512, steps: 4 } };

/** Waits out the last 3 s of a minute, so a test's requests fall in one fixed window (the Postgres limiter's). */
async function awayFromWindowEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 57_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50));
}

function assertLimitHeaders(res: Response, limit: number, remaining: number): void {
  assert.equal(res.headers.get("ratelimit-limit"), String(limit));
  assert.equal(res.headers.get("ratelimit-remaining"), String(remaining));
  const reset = Number(res.headers.get("ratelimit-reset"));
  assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset} is within the 60 s window`);
}

/** Registers the suite's tests in the current describe(); `env` selects the limiter. */
export function rateLimitSuite(env: () => Record<string, string>): void {
  let harness: ApiHarness;
  let app: AppWithEnv;
  before(async () => {
    harness = await startApiHarness();
    app = appWithEnv(harness, {
      KILN_RATE_LIMIT_READ_PER_MINUTE: "5",
      KILN_RATE_LIMIT_CREATE_PER_MINUTE: "2",
      KILN_RATE_LIMIT_IP_PER_MINUTE: "8",
      ...env(),
    });
  });
  beforeEach(awayFromWindowEdge);
  after(async () => {
    await app?.close();
    await harness?.close();
  });

  it("counts every request per client IP, before authentication, with headers on each response", async () => {
    const headers = { "cf-connecting-ip": freshIp() };
    for (let i = 0; i < 8; i++) {
      const res = await app.call("GET", "/health", { headers });
      assert.equal(res.status, 200);
      assertLimitHeaders(res, 8, 7 - i);
    }
    const refused = await app.call("GET", "/v1/me", { headers });
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as { error: { code: string; details: Record<string, unknown> } };
    assert.equal(body.error.code, "rate_limited");
    assert.deepEqual(Object.keys(body.error.details).sort(), ["budget", "limit", "reset"]);
    assert.equal(body.error.details.budget, "ip");
    assert.equal(refused.headers.get("retry-after"), String(body.error.details.reset));
    assertLimitHeaders(refused, 8, 0);
    const other = await app.call("GET", "/health", { headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(other.status, 200, "another address has a budget of its own");
  });

  it("spends the account's read budget, shared by its keys and sessions, showing the tightest budget's headers", async () => {
    const user = await harness.user();
    const key = await harness.apiKey(user, ["account:read"]);
    for (let i = 0; i < 5; i++) {
      // A fresh address each time: only the account's budget runs low.
      const res = await app.call("GET", "/v1/me", { auth: key, headers: { "cf-connecting-ip": freshIp() } });
      assert.equal(res.status, 200);
      assertLimitHeaders(res, 5, 4 - i);
    }
    const refused = await app.call("GET", "/v1/me", { auth: key, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as { error: { code: string; details: { limit: number; budget: string } } };
    assert.equal(body.error.details.limit, 5);
    assert.equal(body.error.details.budget, "read");
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    const jwt = await app.call("GET", "/v1/me", { auth: user.token, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(jwt.status, 429, "the user's own session spends the same account budget");
    const second = await harness.apiKey(user, ["account:read"]);
    const more = await app.call("GET", "/v1/me", { auth: second, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(more.status, 429, "a second key buys no more requests");
    const other = await harness.user();
    const elsewhere = await app.call("GET", "/v1/me", {
      auth: other.token,
      headers: { "cf-connecting-ip": freshIp() },
    });
    assert.equal(elsewhere.status, 200, "another account has a budget of its own");
  });

  it("keeps job creation in a budget of its own, apart from reads", async () => {
    const user = await harness.user();
    const key = await harness.apiKey(user, ["jobs:write", "jobs:read", "account:read"]);
    const create = () =>
      app.call("POST", "/v1/jobs", { auth: key, body: txt2img, headers: { "cf-connecting-ip": freshIp() } });
    for (let i = 0; i < 2; i++) {
      const res = await create();
      assert.equal(res.status, 201, await res.clone().text());
      assertLimitHeaders(res, 2, 1 - i);
    }
    const refused = await create();
    assert.equal(refused.status, 429);
    assert.equal(((await refused.json()) as { error: { details: { budget: string } } }).error.details.budget, "create");
    const read = await app.call("GET", "/v1/me", { auth: key, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(read.status, 200, "reads have their own budget");
  });

  it("lets a key's own rate_limit_per_minute lower its account's budget, and never raise it", async () => {
    const user = await harness.user();
    const key = await harness.apiKey(user, ["account:read"], { ratePerMinute: 1 });
    const first = await app.call("GET", "/v1/me", { auth: key, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(first.status, 200);
    assertLimitHeaders(first, 1, 0);
    const second = await app.call("GET", "/v1/me", { auth: key, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(second.status, 429);

    // A key whose stored limit is above the account's budget (set before an admin lowered it) gets the budget.
    const above = await harness.user();
    const generous = await harness.apiKey(above, ["account:read"], { ratePerMinute: 100_000 });
    for (let i = 0; i < 5; i++) {
      const res = await app.call("GET", "/v1/me", { auth: generous, headers: { "cf-connecting-ip": freshIp() } });
      assert.equal(res.status, 200);
      assertLimitHeaders(res, 5, 4 - i);
    }
    const clamped = await app.call("GET", "/v1/me", { auth: generous, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(clamped.status, 429);
  });

  it("gives an account the budgets an admin set for it", async () => {
    const user = await harness.user();
    await harness.sql`update public.profiles set rate_limit_read_per_minute = 7 where id = ${user.id}`;
    const key = await harness.apiKey(user, ["account:read"]);
    for (let i = 0; i < 7; i++) {
      const res = await app.call("GET", "/v1/me", { auth: key, headers: { "cf-connecting-ip": freshIp() } });
      assert.equal(res.status, 200);
      assertLimitHeaders(res, 7, 6 - i);
    }
    const refused = await app.call("GET", "/v1/me", { auth: key, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(refused.status, 429);
  });

  it("keys on the trusted header only: rotating x-forwarded-for or x-real-ip does not buy a new budget", async () => {
    const ip = freshIp();
    for (let i = 0; i < 8; i++) {
      const forged = {
        "cf-connecting-ip": ip,
        "x-forwarded-for": `${freshIp()}, ${freshIp()}`,
        "x-real-ip": freshIp(),
      };
      assert.equal((await app.call("GET", "/health", { headers: forged })).status, 200);
    }
    const refused = await app.call("GET", "/health", {
      headers: { "cf-connecting-ip": ip, "x-forwarded-for": freshIp() },
    });
    assert.equal(refused.status, 429);
  });

  it("counts a request whose credentials are refused against the address only", async () => {
    const ip = freshIp();
    const res = await app.call("GET", "/v1/me", {
      auth: `kiln_sk_${randomUUID()}`,
      headers: { "cf-connecting-ip": ip },
    });
    assert.equal(res.status, 401);
    assertLimitHeaders(res, 8, 7);
  });
}
