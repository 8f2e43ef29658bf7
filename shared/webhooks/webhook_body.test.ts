/** The body a receiver gets: the stored event with API links, trimmed under 20 KB and saying what it dropped. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_WEBHOOK_BODY_BYTES, type StoredEvent, webhookBody } from "./webhook_body.ts";

const job = (extra: Record<string, unknown> = {}): StoredEvent => ({
  id: "4b1c5f0e-8f3a-4c55-9c1e-2f8d7d1a0b11",
  type: "job.succeeded",
  created_at: "2030-01-01T00:00:00+00:00",
  data: {
    id: "0f0e0d0c-0b0a-4909-8807-060504030201",
    type: "txt2img",
    status: "succeeded",
    params: { prompt: "a kiln" },
    ...extra,
  },
});

describe("webhookBody", () => {
  it("adds API links to a job event (once, whatever the URL's trailing slash)", () => {
    const body = JSON.parse(webhookBody(job(), "https://abc.supabase.co/"));
    assert.deepEqual(body.data.links, {
      job: "https://abc.supabase.co/functions/v1/api/v1/jobs/0f0e0d0c-0b0a-4909-8807-060504030201",
      outputs: "https://abc.supabase.co/functions/v1/api/v1/jobs/0f0e0d0c-0b0a-4909-8807-060504030201/outputs",
    });
    assert.equal(body.id, job().id);
    assert.equal(body.data.truncated, undefined);
  });

  it("leaves a ping alone", () => {
    const ping = {
      id: job().id,
      type: "ping",
      created_at: "2030-01-01T00:00:00Z",
      data: { endpoint_id: "e", message: "hi" },
    };
    assert.deepEqual(JSON.parse(webhookBody(ping, "https://x")), ping);
  });

  it("drops params, then metadata, then outputs… until the body fits, naming each", () => {
    const big = "x".repeat(12_000);
    const event = job({ params: { prompt: big }, metadata: { note: big }, outputs: [{ path: "a.png" }] });
    const text = webhookBody(event, "https://x");
    assert.ok(new TextEncoder().encode(text).length <= MAX_WEBHOOK_BODY_BYTES);
    const body = JSON.parse(text);
    assert.deepEqual(body.data.truncated, ["params"]);
    assert.equal(body.data.params, null);
    assert.equal(body.data.metadata.note, big);
    assert.deepEqual(body.data.outputs, [{ path: "a.png" }]);

    const both = JSON.parse(webhookBody(job({ params: { p: big }, metadata: { m: big, n: big } }), "https://x"));
    assert.deepEqual(both.data.truncated, ["params", "metadata"]);
  });

  it("as a last resort sends the id, status and links only", () => {
    const body = JSON.parse(webhookBody(job({ unexpected: "y".repeat(30_000) }), "https://x"));
    assert.deepEqual(Object.keys(body.data).sort(), ["id", "links", "status", "truncated", "type"]);
    assert.deepEqual(body.data.truncated, ["*"]);
  });
});
