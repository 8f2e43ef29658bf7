/**
 * The API fuzzer (scripts/testing/fuzz/) in CI's bounded form: every operation of /openapi.json, then requests
 * at random, a few hundred in all, seeded. KILN_FUZZ_SEED replays a run; KILN_FUZZ_COUNT sizes it. The full run
 * (≥ 10,000 requests) is `npm run test:fuzz`. Each failure names the request and the seed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runApiFuzz } from "../../../scripts/testing/fuzz/api_fuzz.ts";
import { type FuzzStack, startFuzzStack } from "../../../scripts/testing/fuzz/fuzz_target.ts";

const seed = Number(process.env.KILN_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const count = Number(process.env.KILN_FUZZ_COUNT ?? 400);

describe(`the API under fuzzing (seed ${seed})`, { timeout: 300_000 }, () => {
  let stack: FuzzStack;
  before(async () => {
    stack = await startFuzzStack();
  });
  after(() => stack?.close());

  it(`answers ${count} generated requests without a 5xx, every refusal in the envelope with its request id`, async () => {
    const report = await runApiFuzz(stack.target, { seed, count });
    console.log(
      `fuzz seed ${seed}: ${report.requests} requests over ${report.operations} operations; by status ${JSON.stringify(report.byStatus)}; ${report.failures.length} failures`,
    );
    assert.ok(report.requests >= count * 0.95, `only ${report.requests} of ${count} requests were sent`);
    const shown = report.failures
      .slice(0, 10)
      .map((f) => `  ${f.request} → ${f.status}: ${f.problem}`)
      .join("\n");
    assert.equal(report.failures.length, 0, `seed ${seed}: ${report.failures.length} failures\n${shown}`);
    assert.ok(
      Object.keys(report.byStatus).some((s) => Number(s) < 300),
      "some requests got through",
    );
    assert.ok(report.byStatus[422] && report.byStatus[401], "refusals of both kinds were exercised");
  });
});
