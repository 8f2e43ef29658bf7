/**
 * Credits stay exact whatever happens to jobs: a seeded random walk through the whole lifecycle checks after
 * every step that each balance equals its ledger and its grant less what its live and succeeded jobs cost.
 * A failure prints its step log; rerun it with KILN_TEST_SEED=<seed from the test name>.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testServerUrl } from "../../scripts/testing/test_database.ts";
import {
  balances,
  claim,
  closeAll,
  createJob,
  createUser,
  createWorker,
  openConnections,
  sqlstate,
} from "./helpers/fixtures.ts";
import { useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const seed = Number(process.env.KILN_TEST_SEED ?? 20261206);
const steps = 300;

/** mulberry32: a small, fast PRNG whose whole state is one 32-bit number, so a seed replays a run. */
function mulberry32(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const l = useLifecycleDatabase();

interface Live {
  id: string;
  owner_id: string;
  status: "queued" | "running";
  worker_id: string | null;
  fencing_token: number | null;
  attempts: number;
  max_attempts: number;
  cancel_requested: boolean;
}

describe("credits", () => {
  it(`stay equal to the ledger through a random lifecycle (seed ${seed}, ${steps} steps)`, async () => {
    const random = mulberry32(seed);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[int(xs.length)] : undefined);

    const owners = await Promise.all(
      [0, 1, 2].map(async (i) => ({ id: await createUser(l.db, { credits: 150 + 100 * i }), grant: 150 + 100 * i })),
    );
    // The first owner has a small cap, so that the walk meets KL002 as well as KL003.
    const caps = new Map(owners.map((o, i) => [o.id, i === 0 ? 4 : 20]));
    await l.db.query("update public.profiles set max_active_jobs = 4 where id = $1", [owners[0].id]);
    const workers = [await createWorker(l.db, ["walk"]), await createWorker(l.db, ["walk"])];
    const order = new Map<string, number>();
    const log: string[] = [];
    const done = new Map<string, number>();

    /** Queued or running jobs, in creation order (ids are random, so the order of ids would not replay). */
    const live = async (statuses: string[]): Promise<Live[]> => {
      const rows = await l.db.query<Live>(
        `select id, owner_id, status, worker_id, fencing_token, attempts, max_attempts, cancel_requested
           from public.jobs where type = 'walk' and status in ('queued', 'running')`,
      );
      return rows
        .filter((j) => statuses.includes(j.status))
        .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    };
    /** What a failed or abandoned attempt becomes (retry_or_fail). */
    const outcome = (j: Live, retryable: boolean) =>
      j.cancel_requested ? "canceled" : retryable && j.attempts < j.max_attempts ? "queued" : "failed";

    const weights = {
      create: 30,
      claim: 20,
      complete: 12,
      fail: 12,
      cancel: 8,
      report_canceled: 6,
      reap: 5,
      expire: 5,
    };
    type Action = keyof typeof weights;
    /** Each step: one action on a random target; undefined when it found nothing to act on. */
    const actions: Record<Action, () => Promise<string | undefined>> = {
      async create() {
        const owner = owners[int(owners.length)];
        const cost = random() < 0.1 ? 0 : 1 + int(60);
        const { credits } = await balances(l.db, owner.id);
        const active = (await live(["queued", "running"])).filter((j) => j.owner_id === owner.id).length;
        const expected = active >= (caps.get(owner.id) ?? 20) ? "KL002" : credits < cost ? "KL003" : undefined;
        let id: string | undefined;
        const code = await sqlstate(
          createJob(l.db, owner.id, { type: "walk", cost, maxAttempts: 1 + int(3) }).then((r) => {
            id = r.job.id;
          }),
        );
        assert.equal(code, expected, `create for ${cost} with ${credits} credits and ${active} active`);
        if (id) order.set(id, order.size);
        return `${cost} for owner ${owners.indexOf(owner)}: ${code ?? id}`;
      },
      async claim() {
        const got = await claim(l.db, workers[int(2)], 1 + int(2), ["walk"]);
        return got.length ? got.map((c) => c.id).join(", ") : undefined;
      },
      async complete() {
        const j = pick(await live(["running"]));
        if (!j) return undefined;
        const r = await l.call("kiln.complete_job($1, $2, $3, '[]')", [j.id, j.worker_id, j.fencing_token]);
        assert.equal(r.status, "succeeded");
        return j.id;
      },
      async fail() {
        const j = pick(await live(["running"]));
        if (!j) return undefined;
        const retryable = random() < 0.6;
        const error = { code: "boom", message: "random failure", retryable };
        const r = await l.call("kiln.fail_job($1, $2, $3, $4)", [j.id, j.worker_id, j.fencing_token, error]);
        assert.equal(r.status, outcome(j, retryable));
        return `${j.id} retryable=${retryable} → ${r.status}`;
      },
      async cancel() {
        // Running jobs are fewer than queued ones; aim at them often enough to exercise report_canceled.
        const j = pick(await live(random() < 0.6 ? ["running"] : ["queued", "running"]));
        if (!j) return undefined;
        const r = await l.call("kiln.cancel_job($1, $2)", [j.id, j.owner_id]);
        assert.equal(r.status, j.status === "queued" ? "canceled" : "running");
        return `${j.id} (${j.status})`;
      },
      async report_canceled() {
        const j = pick((await live(["running"])).filter((x) => x.cancel_requested));
        if (!j) return undefined;
        const r = await l.call("kiln.report_canceled($1, $2, $3)", [j.id, j.worker_id, j.fencing_token]);
        assert.equal(r.status, "canceled");
        return j.id;
      },
      async reap() {
        const j = pick(await live(["running"]));
        if (!j) return undefined;
        await l.db.query("update public.jobs set lease_expires_at = now() - interval '1 second' where id = $1", [j.id]);
        const reaped = await l.db.query("select * from kiln.reap_expired_leases()");
        assert.deepEqual(reaped, [{ job_id: j.id, status: outcome(j, true) }]);
        const late = l.call("kiln.complete_job($1, $2, $3, '[]')", [j.id, j.worker_id, j.fencing_token]);
        assert.equal(await sqlstate(late), "KL006", "the silent worker's late report is refused");
        return `${j.id} → ${outcome(j, true)}`;
      },
      async expire() {
        const j = pick(await live(["queued", "running"]));
        if (!j) return undefined;
        await l.db.query("update public.jobs set deadline = now() - interval '1 second' where id = $1", [j.id]);
        const expired = await l.db.query("select * from kiln.expire_deadlines()");
        assert.deepEqual(expired, [{ job_id: j.id, previous_status: j.status }]);
        return j.id;
      },
    };
    const names = Object.keys(weights) as Action[];
    const totalWeight = names.reduce((sum, name) => sum + weights[name], 0);

    const checkBalances = async (when: string) => {
      const rows = await l.db.query<{ id: string; credits: number; ledger: number; held: number }>(
        `select p.id, p.credits,
                (select coalesce(sum(l.delta), 0)::bigint from public.credit_ledger l where l.owner_id = p.id) as ledger,
                (select coalesce(sum(j.cost), 0)::bigint from public.jobs j
                  where j.owner_id = p.id and j.status in ('queued', 'running', 'succeeded')) as held
           from public.profiles p where p.id in ($1, $2, $3)`,
        owners.map((o) => o.id),
      );
      for (const row of rows) {
        const grant = owners.find((o) => o.id === row.id)?.grant;
        const trail = `${when}\n${log.slice(-8).join("\n")}`;
        assert.equal(row.credits, row.ledger, `balance equals the ledger, ${trail}`);
        assert.ok(row.credits >= 0, `balance is not negative, ${trail}`);
        assert.equal(row.credits + row.held, grant, `grant less live and succeeded jobs, ${trail}`);
      }
    };

    for (let step = 0; step < steps; step++) {
      let roll = int(totalWeight);
      let index = 0;
      while (roll >= weights[names[index]]) roll -= weights[names[index++]];
      const name = names[index];
      const what = await actions[name]();
      if (what === undefined) continue;
      log.push(`#${step} ${name} ${what}`);
      done.set(name, (done.get(name) ?? 0) + 1);
      await checkBalances(`after step ${step}`);
    }
    // Settle what is left, so that every job has its final charge and refund.
    for (const j of await live(["queued", "running"])) {
      if (j.status === "running") {
        await l.call("kiln.complete_job($1, $2, $3, '[]')", [j.id, j.worker_id, j.fencing_token]);
      } else {
        await l.call("kiln.cancel_job($1, $2)", [j.id, j.owner_id]);
      }
    }
    await checkBalances("after settling");
    for (const name of names) {
      assert.ok(done.get(name), `the walk ran ${name}: ${JSON.stringify(Object.fromEntries(done))}`);
    }

    const jobs = await l.db.query<{ id: string; status: string; cost: number; charges: number[]; refunds: number[] }>(
      `select j.id, j.status, j.cost,
              array(select -l.delta from public.credit_ledger l where l.job_id = j.id and l.reason = 'job_charge') charges,
              array(select l.delta from public.credit_ledger l where l.job_id = j.id and l.reason = 'job_refund') refunds
         from public.jobs j where j.type = 'walk'`,
    );
    assert.equal(jobs.length, order.size);
    const once = (cost: number) => (cost > 0 ? [cost] : []);
    for (const j of jobs) {
      assert.deepEqual(j.charges.map(Number), once(j.cost), `job ${j.id} was charged once`);
      const refunded = j.status === "failed" || j.status === "canceled";
      assert.deepEqual(j.refunds.map(Number), refunded ? once(j.cost) : [], `job ${j.id} (${j.status}) refunds`);
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const net = sum(jobs.map((j) => sum(j.charges.map(Number)) - sum(j.refunds.map(Number))));
    assert.equal(net, sum(jobs.filter((j) => j.status === "succeeded").map((j) => j.cost)));
    for (const status of ["succeeded", "failed", "canceled"]) {
      assert.ok(
        jobs.some((j) => j.status === status),
        `some job ended ${status}`,
      );
    }
  });

  it(`never go negative under 20 concurrent creates of random cost (seed ${seed})`, {
    skip: testServerUrl() ? false : "needs a PostgreSQL server",
  }, async () => {
    const random = mulberry32(seed);
    const owner = await createUser(l.db, { credits: 400 });
    await l.db.query("update public.profiles set max_active_jobs = 100 where id = $1", [owner]);
    const costs = Array.from({ length: 20 }, () => 10 + Math.floor(random() * 70));
    const connections = await openConnections(l.url as string, costs.length);
    let outcomes: (string | undefined)[];
    try {
      outcomes = await Promise.all(
        connections.map((conn, i) => sqlstate(createJob(conn, owner, { type: "rush", cost: costs[i] }))),
      );
    } finally {
      await closeAll(connections);
    }
    assert.deepEqual(new Set(outcomes.filter((o) => o !== undefined)), new Set(["KL003"]), "refusals are KL003");
    const charged = costs.filter((_, i) => outcomes[i] === undefined);
    const { credits, ledger } = await balances(l.db, owner);
    assert.ok(credits >= 0);
    assert.equal(credits, ledger);
    assert.equal(credits, 400 - charged.reduce((a, b) => a + b, 0));
    assert.ok(
      costs.filter((_, i) => outcomes[i] === "KL003").every((c) => c > credits),
      "no refusal was needless",
    );
  });
});
