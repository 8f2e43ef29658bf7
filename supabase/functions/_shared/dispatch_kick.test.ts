/** Kicks coalesce: a burst of transitions costs the dispatcher two requests, and a failed kick never throws. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { dispatchKicker } from "./dispatch_kick.ts";

describe("dispatchKicker", () => {
  it("sends the first kick at once and the rest of a burst as one more request", async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const kick = dispatchKicker(
      { SUPABASE_URL: "http://127.0.0.1:54321/", KILN_DISPATCH_SECRET: "s3cret-s3cret-s3cret" },
      {
        coalesceMs: 30,
        fetch: async (url, init) => {
          sent.push({ url: String(url), init: init ?? {} });
          return new Response(null, { status: 202 });
        },
      },
    );
    for (let i = 0; i < 10; i++) kick();
    assert.equal(sent.length, 1, "the first goes at once");
    await sleep(80);
    assert.equal(sent.length, 2, "the other nine as one");
    assert.equal(sent[0].url, "http://127.0.0.1:54321/functions/v1/dispatch/run");
    assert.equal((sent[0].init.headers as Record<string, string>).authorization, "Bearer s3cret-s3cret-s3cret");
    assert.deepEqual(JSON.parse(String(sent[0].init.body)), { wait: false, sweeps: false, source: "kick" });
    await sleep(50);
    kick();
    assert.equal(sent.length, 3, "after a quiet window, a kick goes at once again");
    await sleep(50);
  });

  it("swallows a failed request", async () => {
    const errors: unknown[] = [];
    const kick = dispatchKicker(
      { SUPABASE_URL: "http://127.0.0.1:1", KILN_DISPATCH_SECRET: "s3cret-s3cret-s3cret" },
      { coalesceMs: 5, fetch: async () => Promise.reject(new Error("down")), onError: (e) => errors.push(e) },
    );
    kick();
    await sleep(20);
    assert.equal(errors.length, 1);
  });
});
