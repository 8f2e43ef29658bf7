/** One attempt on the wire: the excerpt of the answer, Retry-After, and failures that never reached a receiver. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { closedPort, startReceiver, type WebhookReceiver } from "../testing/webhook_receiver.ts";
import { EXCERPT_BYTES, retryAfterSeconds, sendWebhook } from "./send_webhook.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const options = { fetch, timeoutMs: 500, userAgent: "Kiln-Webhooks/test" };
let receiver: WebhookReceiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const message = (path: string) => ({ url: receiver.url(path), id: "msg_1", body: "{}", secrets: [SECRET] });

describe("sendWebhook", () => {
  it("keeps the first KB of the answer, without NULs", async () => {
    receiver.reply(() => ({ status: 500, body: `\u0000${"é".repeat(4000)}` }));
    const result = await sendWebhook(message("/long"), options);
    assert.equal(result.responseCode, 500);
    assert.ok(new TextEncoder().encode(result.responseExcerpt).length <= EXCERPT_BYTES);
    assert.ok((result.responseExcerpt ?? "").startsWith("é"));
    assert.equal(result.error, "the receiver answered 500");
  });

  it("reads a 503's Retry-After", async () => {
    receiver.reply(() => ({ status: 503, headers: { "retry-after": "30" } }));
    assert.equal((await sendWebhook(message("/busy"), options)).retryAfterSeconds, 30);
  });

  it("says why when nothing answered", async () => {
    const result = await sendWebhook({ ...message("/x"), url: `http://127.0.0.1:${await closedPort()}/x` }, options);
    assert.equal(result.responseCode, undefined);
    assert.match(result.error ?? "", /^connection failed: .*ECONNREFUSED/);
  });
});

describe("retryAfterSeconds", () => {
  it("reads seconds and HTTP dates, and ignores the rest", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    assert.equal(retryAfterSeconds("120", now), 120);
    assert.equal(retryAfterSeconds(" 7 ", now), 7);
    assert.equal(retryAfterSeconds("Tue, 01 Jan 2030 00:01:30 GMT", now), 90);
    assert.equal(retryAfterSeconds("Mon, 31 Dec 2029 00:00:00 GMT", now), 0);
    assert.equal(retryAfterSeconds("soon", now), undefined);
    assert.equal(retryAfterSeconds(null, now), undefined);
  });
});
