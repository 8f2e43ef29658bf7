/** Job creation: the queue, charges, idempotency, and every refusal. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { balances, createJob, createUser, eventTypes, setSetting } from "./helpers/fixtures.ts";
import { refused, useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const l = useLifecycleDatabase();

describe("create", () => {
  it("queues the job, charges its cost and logs job.queued", async () => {
    const owner = await createUser(l.db);
    const { job: created, replayed } = await createJob(l.db, owner, { cost: 25 });
    assert.equal(created.status, "queued");
    assert.equal(replayed, false);
    assert.equal(created.attempts, 0);
    assert.deepEqual(await balances(l.db, owner), { credits: 2975, ledger: 2975 });
    assert.deepEqual(await eventTypes(l.db, created.id), ["job.queued"]);
  });

  it("gives new accounts the signup grant from settings", async () => {
    await setSetting(l.db, "signup_grant_credits", 500);
    const owner = await createUser(l.db);
    await setSetting(l.db, "signup_grant_credits", 3000);
    assert.deepEqual(await balances(l.db, owner), { credits: 500, ledger: 500 });
  });

  it("returns the same job for the same Idempotency-Key and request", async () => {
    const owner = await createUser(l.db);
    const first = await createJob(l.db, owner, { idempotencyKey: "k1", requestHash: "a".repeat(64) });
    const again = await createJob(l.db, owner, { idempotencyKey: "k1", requestHash: "a".repeat(64) });
    assert.equal(again.job.id, first.job.id);
    assert.equal(again.replayed, true);
    assert.equal((await balances(l.db, owner)).credits, 2990, "a replay charges nothing");
  });

  it("refuses an Idempotency-Key reused with a different request", async () => {
    const owner = await createUser(l.db);
    const first = await createJob(l.db, owner, { idempotencyKey: "k2", requestHash: "a".repeat(64) });
    const error = await refused(
      createJob(l.db, owner, { idempotencyKey: "k2", requestHash: "b".repeat(64) }),
      "idempotency_key_reused",
    );
    assert.equal(error.details?.job_id, first.job.id);
  });

  it("lets two owners use the same Idempotency-Key independently", async () => {
    const a = await createUser(l.db);
    const b = await createUser(l.db);
    const ja = await createJob(l.db, a, { idempotencyKey: "shared", requestHash: "h" });
    const jb = await createJob(l.db, b, { idempotencyKey: "shared", requestHash: "h" });
    assert.notEqual(ja.job.id, jb.job.id);
  });

  it("refuses while the maintenance switch is on, with its reason", async () => {
    const owner = await createUser(l.db);
    await setSetting(l.db, "maintenance", { enabled: true, reason: "upgrading the GPUs until 14:00 UTC" });
    try {
      const error = await refused(createJob(l.db, owner), "maintenance");
      assert.match(error.message, /upgrading the GPUs/);
    } finally {
      await setSetting(l.db, "maintenance", { enabled: false, reason: null });
    }
  });

  it("refuses past the per-owner cap on queued + running jobs", async () => {
    const owner = await createUser(l.db);
    await l.db.query("update public.profiles set max_active_jobs = 2 where id = $1", [owner]);
    await createJob(l.db, owner);
    await createJob(l.db, owner);
    const error = await refused(createJob(l.db, owner), "too_many_active_jobs");
    assert.equal(error.details?.limit, 2);
  });

  it("refuses a job the balance cannot pay for, charging nothing", async () => {
    const owner = await createUser(l.db, { credits: 5 });
    const error = await refused(createJob(l.db, owner, { cost: 6 }), "insufficient_credits");
    assert.deepEqual(error.details, { cost: 6, balance: 5 });
    assert.deepEqual(await balances(l.db, owner), { credits: 5, ledger: 5 });
  });

  it("refuses an owner without a profile", async () => {
    await refused(createJob(l.db, "00000000-0000-0000-0000-000000000001"), "not_found");
  });
});
