/** Queue wake-ups after creates: coalesced per type while one is in flight, heard by a real LISTEN. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import postgres from "postgres";
import type { LogLine } from "../../_shared/http/request_context.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { listenToQueue } from "../testing/queue_listener.ts";
import { claimerWaker } from "./wake_claimers.ts";

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

const quiet: LogLine = () => {};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = () => sleep(200);

describe("claimerWaker", () => {
  it("folds the wake-ups asked for while one is in flight into one more, per type", async () => {
    const { heard, close } = await listenToQueue(h.target.dbUrl);
    try {
      const wake = claimerWaker(h.sql, quiet);
      for (let i = 0; i < 10; i++) wake("txt2img");
      wake("upscale");
      await settle();
      assert.deepEqual(
        heard.toSorted(),
        ["txt2img", "txt2img", "upscale"],
        "ten txt2img creates: one NOTIFY at once, one for the nine behind it; upscale's is its own",
      );
      wake("txt2img");
      await settle();
      assert.equal(heard.filter((type) => type === "txt2img").length, 3, "once settled, a create sends again");
    } finally {
      await close();
    }
  });

  it("logs a failed NOTIFY without throwing, and tries again on the next create", async () => {
    const unreachable = postgres("postgres://postgres@127.0.0.1:1/none", { max: 1, connect_timeout: 2 });
    const lines: Record<string, unknown>[] = [];
    try {
      const wake = claimerWaker(unreachable, (line) => lines.push(line));
      const logged = async (n: number) => {
        for (let waited = 0; lines.length < n && waited < 5000; waited += 20) await sleep(20);
      };
      wake("txt2img");
      await logged(1);
      wake("txt2img");
      await logged(2);
      assert.equal(lines.length, 2);
      assert.equal(lines[0].msg, "queue wake-up failed");
      assert.equal(lines[0].level, "warn");
    } finally {
      await unreachable.end();
    }
  });
});
