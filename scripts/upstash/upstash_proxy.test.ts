/** The Upstash REST proxy, driven by the official @upstash/redis client and by raw HTTP, against real Redis. */
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "@upstash/redis";
import { redisSkipReason } from "./redis_available.ts";
import { startUpstashProxy, type UpstashProxy } from "./upstash_proxy.ts";

const skip = await redisSkipReason();
const token = "proxy-test-token";

describe("Upstash REST proxy over Redis", { skip }, () => {
  let proxy: UpstashProxy;
  let redis: Redis;
  const prefix = `kiln-test:${randomUUID()}:`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${proxy.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  before(async () => {
    proxy = await startUpstashProxy({ token });
    redis = new Redis({ url: proxy.url, token, enableTelemetry: false });
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await proxy.stop();
  });

  it("runs commands through @upstash/redis, with base64 results decoded back to the same text", async () => {
    assert.equal(await redis.set(`${prefix}a`, "héllo ☃", { ex: 60 }), "OK");
    assert.equal(await redis.get(`${prefix}a`), "héllo ☃");
    assert.equal(await redis.incr(`${prefix}n`), 1);
    assert.deepEqual(await redis.mget(`${prefix}a`, `${prefix}missing`), ["héllo ☃", null]);
    assert.deepEqual(await redis.set(`${prefix}obj`, { x: 1 }), "OK");
    assert.deepEqual(await redis.get(`${prefix}obj`), { x: 1 });
  });

  it("encodes every string of a result in base64 when asked, and leaves numbers and null alone", async () => {
    await post("/", ["RPUSH", `${prefix}list`, "one", "two"]);
    const res = await post(
      "/",
      ["EVAL", "return {KEYS[1], 7, false, redis.call('LRANGE', KEYS[1], 0, -1)}", 1, `${prefix}list`],
      {
        "upstash-encoding": "base64",
      },
    );
    assert.equal(res.status, 200);
    const key64 = Buffer.from(`${prefix}list`).toString("base64");
    const [one, two] = ["one", "two"].map((s) => Buffer.from(s).toString("base64"));
    assert.deepEqual(await res.json(), { result: [key64, 7, null, [one, two]] });
    const plain = await post("/", ["LRANGE", `${prefix}list`, 0, -1]);
    assert.deepEqual(await plain.json(), { result: ["one", "two"] });
  });

  it("runs pipelines and transactions, with per-command errors", async () => {
    const p = redis.pipeline();
    p.set(`${prefix}p`, "1");
    p.incr(`${prefix}p`);
    p.get(`${prefix}p`);
    assert.deepEqual(await p.exec(), ["OK", 2, 2]);
    const tx = redis.multi();
    tx.incr(`${prefix}t`);
    tx.incr(`${prefix}t`);
    assert.deepEqual(await tx.exec(), [1, 2]);
    const res = await post("/pipeline", [
      ["SET", `${prefix}s`, "x"],
      ["INCR", `${prefix}s`],
    ]);
    const body = (await res.json()) as Array<{ result?: unknown; error?: string }>;
    assert.equal(body[0].result, "OK");
    assert.match(body[1].error ?? "", /not an integer/);
  });

  it("answers a Redis error with 400 and Redis's own text, so NOSCRIPT reaches the client", async () => {
    const res = await post("/", ["EVALSHA", "0".repeat(40), 0]);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /^NOSCRIPT/);
    await assert.rejects(redis.evalsha("0".repeat(40), [], []), /NOSCRIPT/);
  });

  it("runs scripts flagged allow-key-locking (unknown to Redis 7.0) by EVAL and EVALSHA", async () => {
    const script = "#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1])";
    const sha = createHash("sha1").update(script).digest("hex");
    await assert.rejects(redis.evalsha(sha, [`${prefix}lua`], []), /NOSCRIPT/);
    assert.equal(await redis.eval(script, [`${prefix}lua`], []), 1);
    assert.equal(await redis.evalsha(sha, [`${prefix}lua`], []), 2);
  });

  it("refuses a missing or wrong token with 401", async () => {
    const res = await fetch(proxy.url, { method: "POST", body: '["PING"]', headers: { authorization: "Bearer no" } });
    assert.equal(res.status, 401);
    const wrong = new Redis({ url: proxy.url, token: "wrong", enableTelemetry: false, retry: false });
    await assert.rejects(wrong.ping(), /Unauthorized/);
  });
});
