/**
 * The chaos round (scripts/testing/chaos/chaos_round.ts) in CI's small, seeded form: a few dozen jobs, a dozen
 * worker kills, one PostgreSQL restart, one ComfyUI kill, one dispatcher kill, the receiver failing for a while.
 * KILN_CHAOS_SEED replays a round; `npm run test:chaos` runs the full one (100 kills) and prints its figures.
 * It needs PostgreSQL's server tools (initdb, pg_ctl) for a cluster of its own, and skips, saying so, without them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runChaosRound } from "../../scripts/testing/chaos/chaos_round.ts";
import { postgresBinDir } from "../../scripts/testing/private_postgres.ts";

const full = process.env.KILN_CHAOS === "full";
const seed = Number(process.env.KILN_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const plan = full
  ? { seed, jobs: 150, kills: 100, workers: 3, receiverDownMs: 10_000, timeoutMs: 300_000 }
  : { seed, jobs: 30, kills: 12, workers: 2, receiverDownMs: 1500, timeoutMs: 120_000 };
const skip = postgresBinDir() ? false : "PostgreSQL's server tools (initdb, pg_ctl) are not installed";

describe(`chaos (seed ${seed})`, { skip, timeout: plan.timeoutMs + 120_000 }, () => {
  it(`${plan.jobs} jobs through ${plan.kills} worker kills, a Postgres restart, ComfyUI, receiver and dispatcher failures`, async () => {
    const report = await runChaosRound(plan);
    console.log(`chaos ${JSON.stringify(report)}`);
    const kills = Object.values(report.killsAt).reduce((a, b) => a + b, 0);
    assert.equal(kills, plan.kills, `seed ${seed}: every planned kill happened`);
    assert.equal(report.postgresRestarts + report.comfyuiKills + report.dispatcherKills, 3, `seed ${seed}`);
    assert.deepEqual(report.notEndedOnce, [], `seed ${seed}: every job ends exactly once`);
    assert.deepEqual(report.creditMismatches, [], `seed ${seed}: credits equal the ledger`);
    assert.deepEqual(report.deliveryProblems, [], `seed ${seed}: every webhook delivered or dead, attempts logged`);
    assert.deepEqual(report.undelivered, [], `seed ${seed}: every job's ending became a webhook`);
  });
});
