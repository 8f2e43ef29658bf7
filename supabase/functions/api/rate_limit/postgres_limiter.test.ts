/**
 * The Postgres fallback limiter: through the whole app (the shared suite), and two isolates' limiters on one
 * database, which see each other's hits when they next sync.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import postgres from "postgres";
import { eventually } from "../../../../scripts/testing/eventually.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { postgresLimiter } from "./postgres_limiter.ts";
import { rateLimitSuite } from "./rate_limit_suite.ts";

describe("rate limits on the Postgres fallback", () => {
  rateLimitSuite(() => ({}));
});

describe("two isolates counting one key", () => {
  let harness: ApiHarness;
  before(async () => {
    harness = await startApiHarness();
  });
  after(() => harness.close());

  it("share the budget once their hits are synced, and send what is pending on close", async () => {
    const pools = [0, 1].map(() =>
      postgres(harness.target.functionsDbUrl, { prepare: false, max: 2, onnotice: () => {} }),
    );
    const logs: unknown[] = [];
    const [a, b] = pools.map((sql) => postgresLimiter(sql, { syncMs: 30, log: (line) => logs.push(line) }));
    const key = `test:${randomUUID()}`;
    const synced = async (hits: number) => {
      const total = async () =>
        (await harness.sql`select coalesce(sum(hits), 0)::int as n from kiln.rate_limit_counters where key = ${key}`)[0]
          .n;
      await eventually(async () => (await total()) === hits, `${hits} hits synced to the database`);
    };
    const hit = async (limiter: typeof a, times: number) => {
      const answers = [];
      for (let i = 0; i < times; i++) answers.push(await limiter.limit(key, 10, 60));
      return answers;
    };
    // A's first hit is counted at once; its next five are decided locally, exactly.
    assert.deepEqual(
      (await hit(a, 6)).map((r) => r.remaining),
      [9, 8, 7, 6, 5, 4],
    );
    await synced(6);
    // B's first hit sees A's six.
    assert.equal((await b.limit(key, 10, 60)).remaining, 3);
    const rest = await hit(b, 4);
    assert.deepEqual(
      rest.map((r) => r.success),
      [true, true, true, false],
    );
    await synced(10);
    // A has sent nothing since, so it has not heard of B's hits: it admits one more (the bounded
    // over-admission of the design), and its sync tells it the budget is spent.
    assert.equal((await a.limit(key, 10, 60)).success, true);
    // A's sync sends its hit and brings back the count in one round trip.
    await synced(11);
    assert.equal((await a.limit(key, 10, 60)).success, false, "A learns of B's hits at its next sync");
    await a.close();
    await b.close();
    const [row] = await harness.sql`select sum(hits)::int as hits from kiln.rate_limit_counters where key = ${key}`;
    assert.equal(row.hits, 11, "every admitted hit reached the database");
    assert.deepEqual(logs, []);
    await Promise.all(pools.map((sql) => sql.end()));
  });
});
