/**
 * The lifecycle under real concurrency: many connections at once on a PostgreSQL server (PGlite has one
 * connection, so these are skipped there). Bounded: the whole file runs in a few seconds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Database } from "../../scripts/db/database.ts";
import { testServerUrl } from "../../scripts/testing/test_database.ts";
import {
  balances,
  claim,
  closeAll,
  createJob,
  createUser,
  createWorker,
  type JobSummary,
  openConnections,
  sqlstate,
} from "./helpers/fixtures.ts";
import { useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const skip = testServerUrl() ? false : "needs a PostgreSQL server";

describe("concurrency", { skip }, () => {
  const l = useLifecycleDatabase();

  /** `n` connections of their own, closed after `fn` whatever it does. */
  async function withConnections<T>(n: number, fn: (connections: Database[]) => Promise<T>): Promise<T> {
    const connections = await openConnections(l.url as string, n);
    try {
      return await fn(connections);
    } finally {
      await closeAll(connections);
    }
  }

  async function call<T = JobSummary>(on: Database, sql: string, params: unknown[]): Promise<T> {
    const [row] = await on.query<{ r: T }>(`select ${sql} as r`, params);
    return row.r;
  }

  it("8 claimers drain 2,000 jobs, each claimed exactly once", { timeout: 45_000 }, async () => {
    const total = 2000;
    const owners = await Promise.all([1, 2, 3, 4].map(() => createUser(l.db)));
    await l.db.query("update public.profiles set max_active_jobs = $2 where id = any($1)", [owners, total]);
    // One statement per owner: 500 create_job calls each, through the same function the API calls.
    await Promise.all(
      owners.map((owner) =>
        l.db.query(
          `select kiln.create_job(p_owner_id => $1, p_type => 'swarm', p_params => '{}', p_cost => 0)
             from generate_series(1, $2)`,
          [owner, total / owners.length],
        ),
      ),
    );

    const claims = new Map<string, number>();
    const perClaimer: number[] = [];
    await withConnections(8, (connections) =>
      Promise.all(
        connections.map(async (conn, i) => {
          const worker = await createWorker(conn, ["swarm"]);
          let done = 0;
          for (let round = 0; ; round++) {
            const batch = await claim(conn, worker, 1 + ((i + round) % 4), ["swarm"]);
            if (batch.length === 0) {
              // Empty: every queued job left is locked by another claimer, or none is left.
              const [{ n }] = await conn.query<{ n: number }>(
                "select count(*)::int as n from public.jobs where status = 'queued' and type = 'swarm'",
              );
              if (n === 0) break;
              continue;
            }
            for (const c of batch) {
              claims.set(c.id, (claims.get(c.id) ?? 0) + 1);
              await call(conn, "kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]);
              done++;
            }
          }
          perClaimer[i] = done;
        }),
      ),
    );

    assert.equal(claims.size, total, "every job was claimed");
    assert.deepEqual(
      [...claims].filter(([, n]) => n !== 1),
      [],
      "no job was claimed twice",
    );
    assert.equal(
      perClaimer.reduce((a, b) => a + b, 0),
      total,
    );
    assert.ok(perClaimer.filter((n) => n > 0).length > 1, `the work was shared: ${perClaimer.join(", ")}`);
    const [summary] = await l.db.query<{ jobs: number; succeeded_once: number; started: number; started_jobs: number }>(
      `select (select count(*)::int from public.jobs where type = 'swarm') as jobs,
              (select count(*)::int from public.jobs where type = 'swarm' and status = 'succeeded' and attempts = 1)
                as succeeded_once,
              (select count(*)::int from public.job_events e join public.jobs j on j.id = e.job_id
                where j.type = 'swarm' and e.type = 'job.started') as started,
              (select count(distinct e.job_id)::int from public.job_events e join public.jobs j on j.id = e.job_id
                where j.type = 'swarm' and e.type = 'job.started') as started_jobs`,
    );
    assert.deepEqual(summary, { jobs: total, succeeded_once: total, started: total, started_jobs: total });
  });

  it("re-queues a silent worker's job after its lease, and refuses that worker's late reports", async () => {
    await withConnections(2, async ([first, second]) => {
      const owner = await createUser(l.db);
      const silent = await createWorker(l.db, ["silent"]);
      const rescuer = await createWorker(l.db, ["silent"]);
      const { job: created } = await createJob(l.db, owner, { type: "silent" });
      const [held] = await claim(first, silent, 1, ["silent"], 1);
      assert.equal(held.id, created.id);
      assert.deepEqual(await l.db.query("select * from kiln.reap_expired_leases()"), [], "not reaped within its lease");

      // The lease lapses: aged in place rather than slept through.
      await l.db.query("update public.jobs set lease_expires_at = now() - interval '1 second' where id = $1", [
        created.id,
      ]);
      const reaped = await l.db.query("select * from kiln.reap_expired_leases()");
      assert.deepEqual(reaped, [{ job_id: created.id, status: "queued" }]);
      const [rescued] = await claim(second, rescuer, 1, ["silent"]);
      assert.equal(rescued.id, created.id);
      assert.equal(rescued.attempts, 2);
      assert.equal(
        await sqlstate(call(first, "kiln.heartbeat($1, $2, $3)", [held.id, silent, held.fencing_token])),
        "KL006",
        "a heartbeat cannot take the job back",
      );
      await call(second, "kiln.complete_job($1, $2, $3, '[\"out.png\"]')", [
        rescued.id,
        rescuer,
        rescued.fencing_token,
      ]);

      const late = "kiln.complete_job($1, $2, $3, '[]')";
      assert.equal(await sqlstate(call(first, late, [held.id, silent, held.fencing_token])), "KL006");
      assert.equal(
        await sqlstate(call(first, "kiln.heartbeat($1, $2, $3)", [held.id, silent, held.fencing_token])),
        "KL006",
      );
      const [row] = await l.db.query<JobSummary>("select * from public.jobs where id = $1", [created.id]);
      assert.equal(row.status, "succeeded");
      assert.equal(row.attempts, 2);
      assert.deepEqual(row.outputs, ["out.png"], "the late report did not overwrite the outputs");
    });
  });

  it("creates one job, and charges once, for 8 identical requests with one Idempotency-Key", async () => {
    const owner = await createUser(l.db);
    const results = await withConnections(8, (connections) =>
      Promise.all(
        connections.map((conn) => createJob(conn, owner, { cost: 40, idempotencyKey: "same", requestHash: "h1" })),
      ),
    );
    const ids = new Set(results.map((r) => r.job.id));
    assert.equal(ids.size, 1, "all 8 got the same job");
    assert.equal(results.filter((r) => r.replayed).length, 7);
    const [{ jobs, charges }] = await l.db.query<{ jobs: number; charges: number }>(
      `select (select count(*)::int from public.jobs where owner_id = $1 and idempotency_key = 'same') as jobs,
              (select count(*)::int from public.credit_ledger where owner_id = $1 and reason = 'job_charge') as charges`,
      [owner],
    );
    assert.deepEqual({ jobs, charges }, { jobs: 1, charges: 1 });
    assert.deepEqual(await balances(l.db, owner), { credits: 2960, ledger: 2960 });
  });

  it("lets exactly as many of 16 concurrent creates through as the balance pays for", async () => {
    const owner = await createUser(l.db, { credits: 5 * 70 });
    const outcomes = await withConnections(16, (connections) =>
      Promise.all(connections.map((conn) => sqlstate(createJob(conn, owner, { type: "budget", cost: 70 })))),
    );
    assert.equal(outcomes.filter((o) => o === undefined).length, 5);
    assert.deepEqual(
      outcomes.filter((o) => o !== undefined),
      Array(11).fill("KL003"),
      "the others are refused for insufficient credits",
    );
    assert.deepEqual(await balances(l.db, owner), { credits: 0, ledger: 0 });
  });

  it("lets exactly as many of 16 concurrent creates through as the active-job cap allows", async () => {
    const owner = await createUser(l.db);
    await l.db.query("update public.profiles set max_active_jobs = 3 where id = $1", [owner]);
    const outcomes = await withConnections(16, (connections) =>
      Promise.all(connections.map((conn) => sqlstate(createJob(conn, owner, { type: "capped", cost: 10 })))),
    );
    assert.equal(outcomes.filter((o) => o === undefined).length, 3);
    assert.deepEqual(
      outcomes.filter((o) => o !== undefined),
      Array(13).fill("KL002"),
    );
    const [{ active }] = await l.db.query<{ active: number }>(
      "select count(*)::int as active from public.jobs where owner_id = $1 and status in ('queued', 'running')",
      [owner],
    );
    assert.equal(active, 3);
    assert.deepEqual(await balances(l.db, owner), { credits: 2970, ledger: 2970 });
  });
});
