/** Claims and heartbeats: order, leases, fencing tokens, and the refusals of stale holders. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, createJob, createUser, createWorker, eventTypes } from "./helpers/fixtures.ts";
import { refused, useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const l = useLifecycleDatabase();

describe("claim", () => {
  it("hands out jobs by priority, then age, with a lease and a fresh fencing token", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["claim_order"]);
    const low = await createJob(l.db, owner, { type: "claim_order", priority: -5 });
    const normal1 = await createJob(l.db, owner, { type: "claim_order" });
    const normal2 = await createJob(l.db, owner, { type: "claim_order" });
    const high = await createJob(l.db, owner, { type: "claim_order", priority: 50 });
    const claimed = await claim(l.db, worker, 10, ["claim_order"]);
    assert.deepEqual(
      claimed.map((c) => c.id),
      [high.job.id, normal1.job.id, normal2.job.id, low.job.id],
    );
    assert.equal(new Set(claimed.map((c) => c.fencing_token)).size, 4);
    for (const c of claimed) {
      const row = await l.job(c.id);
      assert.equal(row.status, "running");
      assert.equal(row.phase, "claimed");
      assert.equal(row.attempts, 1);
      assert.ok(row.lease_expires_at && row.lease_expires_at.getTime() > Date.now());
      assert.deepEqual(await eventTypes(l.db, c.id), ["job.queued", "job.started"]);
    }
  });

  it("claims at most n jobs", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["claim_n"]);
    for (let i = 0; i < 3; i++) await createJob(l.db, owner, { type: "claim_n" });
    assert.equal((await claim(l.db, worker, 2, ["claim_n"])).length, 2);
    assert.equal((await claim(l.db, worker, 2, ["claim_n"])).length, 1);
  });

  it("never hands out a job type the worker did not ask for", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["upscale_only"]);
    await createJob(l.db, owner, { type: "txt2img_only" });
    assert.deepEqual(await claim(l.db, worker, 5, ["upscale_only"]), []);
  });

  it("skips jobs not yet due and jobs past their deadline", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["claim_due"]);
    const later = await createJob(l.db, owner, { type: "claim_due" });
    await l.db.query("update public.jobs set run_after = now() + interval '1 hour' where id = $1", [later.job.id]);
    const late = await createJob(l.db, owner, { type: "claim_due", deadlineSeconds: 1 });
    await l.db.query("update public.jobs set deadline = now() - interval '1 second' where id = $1", [late.job.id]);
    assert.deepEqual(await claim(l.db, worker, 5, ["claim_due"]), []);
  });

  it("gives a draining worker nothing and refuses a revoked one", async () => {
    const owner = await createUser(l.db);
    const draining = await createWorker(l.db, ["claim_drain"]);
    await createJob(l.db, owner, { type: "claim_drain" });
    await l.db.query("update public.workers set draining = true where id = $1", [draining]);
    assert.deepEqual(await claim(l.db, draining, 5, ["claim_drain"]), []);
    const revoked = await createWorker(l.db, ["claim_drain"]);
    await l.db.query("update public.workers set revoked_at = now() where id = $1", [revoked]);
    await refused(claim(l.db, revoked, 5, ["claim_drain"]), "worker_unauthorized");
  });
});
describe("heartbeat", () => {
  it("extends the lease, records phase and progress, and logs phase changes only", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["hb"]);
    const { job: created } = await createJob(l.db, owner, { type: "hb" });
    const [c] = await claim(l.db, worker, 1, ["hb"], 5);
    const before = (await l.job(c.id)).lease_expires_at as Date;
    const beat = await l.call<{ cancel_requested: boolean }>("kiln.heartbeat($1, $2, $3, 'executing', $4, 60)", [
      c.id,
      worker,
      c.fencing_token,
      { value: 3, max: 20, percent: 15 },
    ]);
    assert.equal(beat.cancel_requested, false);
    await l.call("kiln.heartbeat($1, $2, $3, null, $4, 60)", [
      c.id,
      worker,
      c.fencing_token,
      { value: 4, max: 20, percent: 20 },
    ]);
    const row = await l.job(created.id);
    assert.ok((row.lease_expires_at as Date).getTime() > before.getTime());
    assert.equal(row.phase, "executing");
    assert.deepEqual(row.progress, { value: 4, max: 20, percent: 20 });
    assert.ok(row.started_at, "started_at is set when execution begins");
    assert.deepEqual(await eventTypes(l.db, created.id), ["job.queued", "job.started", "job.progress"]);
  });

  it("refuses a stale fencing token, another worker, and an unknown job", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["hb_stale"]);
    const other = await createWorker(l.db, ["hb_stale"]);
    await createJob(l.db, owner, { type: "hb_stale" });
    const [c] = await claim(l.db, worker, 1, ["hb_stale"]);
    await refused(l.call("kiln.heartbeat($1, $2, $3)", [c.id, worker, c.fencing_token - 1]), "lease_lost");
    await refused(l.call("kiln.heartbeat($1, $2, $3)", [c.id, other, c.fencing_token]), "lease_lost");
    await refused(
      l.call("kiln.heartbeat($1, $2, $3)", ["00000000-0000-0000-0000-000000000009", worker, c.fencing_token]),
      "not_found",
    );
  });
});
