/** Sweeps (expired leases, deadlines), the queue snapshot, and what each transition publishes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { balances, claim, createJob, createUser, createWorker } from "./helpers/fixtures.ts";
import { refused, useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const l = useLifecycleDatabase();

describe("sweeps", () => {
  it("re-queues a job whose lease lapsed, and refuses the silent worker's late report", async () => {
    const owner = await createUser(l.db);
    const silent = await createWorker(l.db, ["reap"]);
    const rescuer = await createWorker(l.db, ["reap"]);
    const { job: created } = await createJob(l.db, owner, { type: "reap" });
    const [c] = await claim(l.db, silent, 1, ["reap"]);
    await l.db.query("update public.jobs set lease_expires_at = now() - interval '1 second' where id = $1", [c.id]);
    const reaped = await l.db.query("select * from kiln.reap_expired_leases() where job_id = $1", [created.id]);
    assert.deepEqual(reaped, [{ job_id: created.id, status: "queued" }]);
    const [again] = await claim(l.db, rescuer, 1, ["reap"]);
    assert.equal(again.id, created.id);
    assert.ok(again.fencing_token > c.fencing_token);
    await refused(l.call("kiln.complete_job($1, $2, $3, '[]')", [c.id, silent, c.fencing_token]), "lease_lost");
    const done = await l.call("kiln.complete_job($1, $2, $3, '[]')", [again.id, rescuer, again.fencing_token]);
    assert.equal(done.status, "succeeded");
    const [requeued] = await l.db.query<{ data: { reason: string } }>(
      "select data from public.job_events where job_id = $1 and type = 'job.queued' order by seq desc limit 1",
      [created.id],
    );
    assert.equal(requeued.data.reason, "lease_expired");
  });

  it("fails and refunds a lapsed job with no attempt left, and cancels one with a pending cancel", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["reap_final"]);
    const { job: last } = await createJob(l.db, owner, { type: "reap_final", maxAttempts: 1, cost: 20 });
    const { job: canceling } = await createJob(l.db, owner, { type: "reap_final", cost: 20 });
    await claim(l.db, worker, 2, ["reap_final"]);
    await l.call("kiln.cancel_job($1, $2)", [canceling.id, owner]);
    await l.db.query("update public.jobs set lease_expires_at = now() - interval '1 second' where owner_id = $1", [
      owner,
    ]);
    const reaped = await l.db.query<{ job_id: string; status: string }>(
      "select r.* from kiln.reap_expired_leases() r join public.jobs j on j.id = r.job_id where j.owner_id = $1",
      [owner],
    );
    const outcome = Object.fromEntries(reaped.map((r) => [r.job_id, r.status]));
    assert.deepEqual(outcome, { [last.id]: "failed", [canceling.id]: "canceled" });
    assert.equal((await l.job(last.id)).error?.code, "lease_expired");
    assert.deepEqual(await balances(l.db, owner), { credits: 3000, ledger: 3000 });
  });

  it("fails queued and running jobs past their deadline with deadline_exceeded, refunded", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["deadline"]);
    const { job: running } = await createJob(l.db, owner, { type: "deadline", deadlineSeconds: 60, cost: 10 });
    await claim(l.db, worker, 1, ["deadline"]);
    const { job: queued } = await createJob(l.db, owner, { type: "deadline", deadlineSeconds: 60, cost: 10 });
    await l.db.query("update public.jobs set deadline = now() - interval '1 second' where owner_id = $1", [owner]);
    const expired = await l.db.query<{ job_id: string; previous_status: string }>(
      "select e.* from kiln.expire_deadlines() e join public.jobs j on j.id = e.job_id where j.owner_id = $1",
      [owner],
    );
    assert.deepEqual(Object.fromEntries(expired.map((r) => [r.job_id, r.previous_status])), {
      [running.id]: "running",
      [queued.id]: "queued",
    });
    for (const id of [running.id, queued.id]) {
      const row = await l.job(id);
      assert.equal(row.status, "failed");
      assert.equal(row.error?.code, "deadline_exceeded");
    }
    assert.deepEqual(await balances(l.db, owner), { credits: 3000, ledger: 3000 });
  });
});
describe("queue snapshot", () => {
  it("lists the claimable jobs of a type in claim order, exactly at the front and sampled beyond", async () => {
    const owner = await createUser(l.db);
    await createWorker(l.db, ["snapshot"]);
    const stale = await createWorker(l.db, ["snapshot"]);
    await l.db.query("update public.workers set last_seen_at = now() - interval '1 hour' where id = $1", [stale]);
    const first = await createJob(l.db, owner, { type: "snapshot" });
    const second = await createJob(l.db, owner, { type: "snapshot" });
    const urgent = await createJob(l.db, owner, { type: "snapshot", priority: 10 });
    const later = await createJob(l.db, owner, { type: "snapshot" });
    const retrying = await createJob(l.db, owner, { type: "snapshot" });
    await l.db.query("update public.jobs set run_after = now() + interval '1 hour' where id = $1", [retrying.job.id]);
    await createJob(l.db, owner, { type: "other" });
    type Key = [number, number, number, number, string];
    type Snapshot = { workers_online: number; classes: { able: number[]; keys: Key[] }[] };
    const snapshot = async (exact: number, every: number) => {
      const taken = await l.call<Snapshot>("kiln.queue_snapshot($1, $2, $3)", ["snapshot", exact, every]);
      // One online worker, which can run every job: one class.
      assert.deepEqual(
        taken.classes.map((c) => c.able),
        [[0]],
      );
      return { ...taken, keys: taken.classes[0].keys };
    };

    const all = await snapshot(10, 100);
    assert.equal(all.workers_online, 1);
    assert.deepEqual(
      all.keys.map(([ahead, priority, tag, , id]) => [ahead, priority, tag, id]),
      [
        [0, 10, 0, urgent.job.id],
        [1, 0, 0, first.job.id],
        [2, 0, 1000, second.job.id],
        [3, 0, 2000, later.job.id],
      ],
      "the retrying job is not claimable yet, and another type's job is not in this queue",
    );
    const [{ us }] = await l.db.query<{ us: string }>(
      "select (extract(epoch from run_after) * 1000000)::bigint::text as us from public.jobs where id = $1",
      [first.job.id],
    );
    assert.equal(String(all.keys[1][3]), us, "run_after in whole microseconds");
    // One exact key, then every second one: aheads 0, 2.
    assert.deepEqual(
      (await snapshot(1, 2)).keys.map(([ahead]) => ahead),
      [0, 2],
    );
  });

  it("keeps the order per set of workers able to run the jobs, so a position counts what the same workers take", async () => {
    const owner = await createUser(l.db);
    const [x, y] = [await createWorker(l.db, ["classes"]), await createWorker(l.db, ["classes"])];
    await l.db.query("update public.workers set capabilities = $2 where id = $1", [x, { can: { checkpoints: ["x"] } }]);
    await l.db.query("update public.workers set capabilities = $2 where id = $1", [y, { can: { checkpoints: ["y"] } }]);
    const needs = async (checkpoint: string) => {
      const { job } = await createJob(l.db, owner, { type: "classes" });
      await l.db.query("update public.jobs set requirements = $2 where id = $1", [
        job.id,
        { checkpoints: [checkpoint] },
      ]);
      return job.id;
    };
    const [x1, y1, x2, z1] = [await needs("x"), await needs("y"), await needs("x"), await needs("z")];
    type Snapshot = {
      workers_can: unknown[];
      classes: { able: number[]; keys: [number, number, number, number, string][] }[];
    };
    const taken = await l.call<Snapshot>("kiln.queue_snapshot($1, $2, $3)", ["classes", 10, 100]);
    const xAt = taken.workers_can.findIndex((can) => JSON.stringify(can).includes('"x"'));
    const classes = Object.fromEntries(taken.classes.map((c) => [JSON.stringify(c.able), c.keys.map((k) => k[4])]));
    assert.deepEqual(classes, { [`[${xAt}]`]: [x1, x2], [`[${1 - xAt}]`]: [y1], "[]": [z1] });
  });
});
describe("notifications", () => {
  it("broadcasts each change to the owner's private topic and wakes workers on the public queue topic", async () => {
    const owner = await createUser(l.db);
    const { job: created } = await createJob(l.db, owner, { type: "notify" });
    const messages = await l.db.query<{
      topic: string;
      event: string;
      private: boolean;
      payload: Record<string, unknown>;
    }>(
      "select topic, event, private, payload from realtime.messages where payload->'job'->>'id' = $1 or (topic = 'kiln:queue' and payload->>'type' = 'notify')",
      [created.id],
    );
    const userTopic = messages.find((m) => m.topic === `user:${owner}`);
    assert.ok(userTopic, "owner topic got the job");
    assert.equal(userTopic.private, true);
    assert.equal(userTopic.event, "job.queued");
    const wake = messages.find((m) => m.topic === "kiln:queue");
    assert.ok(wake, "queue topic got a wake-up");
    assert.equal(wake.private, false);
    // realtime.send adds the message's own id, as hosted does: nothing of the user's.
    const { id, ...rest } = wake.payload as { id: string };
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(rest, { type: "notify", priority: 0 }, "the wake-up carries no user data");
  });

  it("writes one outbox row per matching endpoint and per-job webhook, and coalesces unsent progress", async () => {
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, ["outbox"]);
    const endpoint = async (events: string[]) =>
      (
        await l.db.query<{ id: string }>(
          "insert into public.webhook_endpoints (owner_id, url, secret, events) values ($1, 'https://hooks.example.test/k', 'whsec_x', $2) returning id",
          [owner, events],
        )
      )[0].id;
    const all = await endpoint(["*"]);
    const finals = await endpoint(["job.succeeded", "job.failed"]);
    await endpoint(["job.canceled"]);
    const { job: created } = await createJob(l.db, owner, {
      type: "outbox",
      webhookUrl: "https://example.test/job-hook",
    });
    const [c] = await claim(l.db, worker, 1, ["outbox"]);
    for (const value of [1, 2, 3]) {
      await l.call("kiln.heartbeat($1, $2, $3, 'executing', $4)", [c.id, worker, c.fencing_token, { value, max: 3 }]);
    }
    await l.call("kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]);
    const rows = await l.db.query<{
      endpoint_id: string | null;
      event_type: string;
      payload: { id: string; data: { progress: { value: number } } };
    }>(
      "select endpoint_id, event_type, payload from public.webhook_deliveries where job_id = $1 order by created_at, event_type",
      [created.id],
    );
    const summary = (target: string | null) => rows.filter((r) => r.endpoint_id === target).map((r) => r.event_type);
    assert.deepEqual(summary(all), ["job.queued", "job.started", "job.progress", "job.succeeded"]);
    assert.deepEqual(summary(finals), ["job.succeeded"]);
    assert.deepEqual(summary(null), ["job.queued", "job.started", "job.progress", "job.succeeded"]);
    const progress = rows.filter((r) => r.event_type === "job.progress");
    assert.ok(
      progress.every((r) => r.payload.data.progress.value === 3),
      "coalesced to the latest tick",
    );
  });
});
