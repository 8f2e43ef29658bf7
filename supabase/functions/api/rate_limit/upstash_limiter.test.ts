/**
 * The Upstash limiter, unmodified @upstash/ratelimit and @upstash/redis, against real Redis through the
 * Upstash REST proxy (scripts/upstash): the shared suite, then failing open when Redis is slow or away.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { redisSkipReason } from "../../../../scripts/upstash/redis_available.ts";
import { startUpstashProxy, type UpstashProxy } from "../../../../scripts/upstash/upstash_proxy.ts";
import { rateLimitSuite } from "./rate_limit_suite.ts";
import { upstashLimiter } from "./upstash_limiter.ts";

const skip = await redisSkipReason();
const token = "upstash-limiter-test";

describe("rate limits on Upstash (Redis through the REST proxy)", { skip }, () => {
  let proxy: UpstashProxy;
  before(async () => {
    proxy = await startUpstashProxy({ token });
  });
  after(() => proxy?.stop());
  rateLimitSuite(() => ({ UPSTASH_REDIS_REST_URL: proxy.url, UPSTASH_REDIS_REST_TOKEN: token }));
});

describe("the Upstash limiter fails open", () => {
  let silent: Server;
  let silentUrl: string;
  before(async () => {
    // Accepts requests and never answers them: a Redis that hangs.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  after(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("allows the request after the timeout, with one log line saying so", async () => {
    const logs: Record<string, unknown>[] = [];
    const limiter = upstashLimiter({ url: silentUrl, token, timeoutMs: 100, log: (e) => logs.push(e) });
    const started = performance.now();
    const result = await limiter.limit("fail-open-test", 1, 60);
    assert.ok(performance.now() - started < 1000, "did not wait for the hung request");
    assert.equal(result.success, true);
    assert.equal(result.limit, 1);
    assert.deepEqual(
      logs.map((l) => [l.level, l.reason]),
      [["warn", "timeout"]],
    );
    assert.ok(!JSON.stringify(logs).includes(token), "the token is never logged");
  });

  it("allows the request when Redis cannot be reached at all", async () => {
    const logs: Record<string, unknown>[] = [];
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const limiter = upstashLimiter({ url, token, timeoutMs: 2000, log: (e) => logs.push(e) });
    const result = await limiter.limit("fail-open-test", 1, 60);
    assert.equal(result.success, true);
    assert.equal(logs.length, 1);
    assert.equal(logs[0].reason, "error");
  });
});
