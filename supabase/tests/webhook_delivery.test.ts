/**
 * The delivery rules in SQL, with the clock passed in (`p_now`): the retry schedule, the order rule and claim
 * leases, disabling failing endpoints, replay, pings, the sweeps and the guarded cron schedule.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, createJob, createUser, createWorker, setSetting } from "./helpers/fixtures.ts";
import { refused, useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const l = useLifecycleDatabase();
const SCHEDULE_S = [5, 300, 1800, 7200, 18000, 36000, 36000];

interface Claimed {
  id: string;
  event_type: string;
  attempt: number;
  secrets: string[];
  url: string;
  payload: { id: string; type: string; data: Record<string, unknown> };
}

/** Claims what is due at `now` and returns `owner`'s share of it. */
async function claimAt(owner: string, now: Date, limit = 100): Promise<Claimed[]> {
  return l.db.query<Claimed>(
    "select * from kiln.claim_webhook_deliveries($1, 60, $2) where owner_id = $3 order by event_type",
    [limit, now, owner],
  );
}

/** Records attempt `attempt` of delivery `id` with a response code (null: no response) at `now`. */
async function record(id: string, attempt: number, code: number | null, now: Date, retryAfter?: number) {
  return l.call<{ status: string; next_attempt_at: string | null; endpoint_disabled: string | null; stale?: boolean }>(
    "kiln.record_webhook_attempt($1, $2, $3, 12, $4, null, $5, $6, $3)",
    [id, attempt, now, code, code === null ? "connection refused" : null, retryAfter ?? null],
  );
}

async function endpointFor(owner: string, events = ["*"]): Promise<string> {
  const [{ id }] = await l.db.query<{ id: string }>(
    "insert into public.webhook_endpoints (owner_id, url, secret, events) values ($1, 'https://hooks.example.test/x', kiln.new_webhook_secret(), $2) returning id",
    [owner, events],
  );
  return id;
}

const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);

describe("retry schedule", () => {
  it("waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (±10%), then gives up", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    for (const [i, planned] of SCHEDULE_S.entries()) {
      for (let sample = 0; sample < 20; sample++) {
        const next = await l.call<Date>("kiln.webhook_retry_at($1, $2)", [i + 1, now]);
        const waited = (next.getTime() - now.getTime()) / 1000;
        assert.ok(waited >= planned * 0.9 && waited <= planned * 1.1, `attempt ${i + 1}: ${waited} s`);
      }
    }
    assert.equal(await l.call("kiln.webhook_retry_at($1, $2)", [8, now]), null);
  });

  it("honours Retry-After within [1 s, 1 h], but not past the schedule's end", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const wait = async (attempt: number, seconds: number) => {
      const next = await l.call<Date | null>("kiln.webhook_retry_at($1, $2, $3)", [attempt, now, seconds]);
      return next && (next.getTime() - now.getTime()) / 1000;
    };
    assert.equal(await wait(1, 120), 120);
    assert.equal(await wait(1, 0), 1);
    assert.equal(await wait(3, 999_999), 3600);
    assert.equal(await wait(8, 10), null);
  });
});

describe("claims", () => {
  it("hold back a job's later events while an earlier one is out or waiting to retry; a dead one does not", async () => {
    const owner = await createUser(l.db);
    await endpointFor(owner, ["job.queued", "job.started", "job.succeeded"]);
    const worker = await createWorker(l.db, ["wh_order"]);
    await createJob(l.db, owner, { type: "wh_order" });
    const [c] = await claim(l.db, worker, 1, ["wh_order"]);
    await l.call("kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]);
    const t0 = new Date(Date.now() + 1000);

    const [queued, ...none] = await claimAt(owner, t0);
    assert.deepEqual([queued.event_type, queued.attempt, none.length], ["job.queued", 1, 0]);
    assert.deepEqual(await claimAt(owner, at(t0, 1)), [], "the rest waits while job.queued is out");
    const failed = await record(queued.id, 1, 500, at(t0, 1));
    assert.equal(failed.status, "pending");
    assert.deepEqual(await claimAt(owner, at(t0, 3)), [], "and while it waits for its retry");
    const [retry] = await claimAt(owner, at(t0, 10));
    assert.deepEqual([retry.id, retry.attempt], [queued.id, 2]);
    // Its claim lapses (a dispatcher died): the delivery comes back with the next attempt number.
    assert.deepEqual(await claimAt(owner, at(t0, 69)), []);
    const [back] = await claimAt(owner, at(t0, 71));
    assert.deepEqual([back.id, back.attempt], [queued.id, 3]);
    // The lapsed attempt is logged at the re-claim, so every counted attempt has its row…
    const attemptRows = () =>
      l.db.query<{ attempt: number; succeeded: boolean; response_code: number | null; error: string | null }>(
        "select attempt, succeeded, response_code, error from public.webhook_attempts where delivery_id = $1 order by attempt",
        [queued.id],
      );
    const lost = (await attemptRows())[1];
    assert.deepEqual([lost.attempt, lost.succeeded], [2, false]);
    assert.match(lost.error ?? "", /dispatcher stopped before this attempt ended/);
    // …and the dead dispatcher's late report replaces that row (one row per attempt), changing nothing else.
    assert.equal((await record(queued.id, 2, 200, at(t0, 72))).stale, true);
    const replaced = await attemptRows();
    assert.deepEqual(
      replaced.map((r) => [r.attempt, r.response_code]),
      [
        [1, 500],
        [2, 200],
      ],
    );
    // Failing to the end of its schedule: 8 attempts, then dead.
    let now = at(t0, 73);
    let result = await record(queued.id, 3, 500, now);
    for (let attempt = 4; result.status === "pending"; attempt++) {
      now = at(now, 40_000);
      const [next] = await claimAt(owner, now);
      assert.deepEqual([next.id, next.attempt], [queued.id, attempt]);
      result = await record(queued.id, attempt, 500, now);
    }
    assert.equal(result.status, "dead");
    const [started] = await claimAt(owner, at(now, 1));
    assert.equal(started.event_type, "job.started", "a dead delivery holds nothing back");
    assert.equal(started.secrets.length, 1);
    const [{ n }] = await l.db.query<{ n: number }>(
      "select count(*)::int as n from public.webhook_attempts where delivery_id = $1",
      [queued.id],
    );
    assert.equal(n, 8, "one log row per attempt, the lapsed claim's late report included");
    const [{ attempts }] = await l.db.query<{ attempts: number }>(
      "select attempts from public.webhook_deliveries where id = $1",
      [queued.id],
    );
    assert.equal(attempts, 8);
  });

  it("a progress tick that replaces an unsent one moves after the events written since", async () => {
    const owner = await createUser(l.db);
    await endpointFor(owner);
    await setSetting(l.db, "retry_backoff", { base_seconds: 0, max_seconds: 0 });
    const worker = await createWorker(l.db, ["wh_tick"]);
    const { job } = await createJob(l.db, owner, { type: "wh_tick" });
    const [first] = await claim(l.db, worker, 1, ["wh_tick"]);
    await l.call("kiln.heartbeat($1, $2, $3, 'executing', $4)", [first.id, worker, first.fencing_token, { value: 1 }]);
    await l.call("kiln.fail_job($1, $2, $3, $4)", [
      first.id,
      worker,
      first.fencing_token,
      { code: "x", retryable: true },
    ]);
    const [second] = await claim(l.db, worker, 1, ["wh_tick"]);
    await l.call("kiln.heartbeat($1, $2, $3, 'executing', $4)", [
      second.id,
      worker,
      second.fencing_token,
      { value: 2 },
    ]);
    const rows = await l.db.query<{ event_type: string; value: number | null }>(
      `select event_type, (payload -> 'data' -> 'progress' ->> 'value')::int as value
         from public.webhook_deliveries where job_id = $1 order by seq`,
      [job.id],
    );
    assert.deepEqual(
      rows.map((r) => [r.event_type, r.value]),
      [
        ["job.queued", null],
        ["job.started", null],
        ["job.queued", null],
        ["job.started", null],
        ["job.progress", 2],
      ],
    );
  });
});

describe("failing endpoints", () => {
  it("are disabled after failing for 3 days in a row, with the reason", async () => {
    const owner = await createUser(l.db);
    const endpoint = await endpointFor(owner, ["job.queued"]);
    const day0 = new Date(Date.now() + 60_000);
    await createJob(l.db, owner, { type: "wh_days" });
    const [d1] = await claimAt(owner, day0);
    assert.equal((await record(d1.id, 1, null, day0)).status, "pending");
    await createJob(l.db, owner, { type: "wh_days" });
    const later = at(day0, 3 * 86400 + 60);
    const claimed = await claimAt(owner, later);
    assert.equal(claimed.length, 2);
    const result = await record(claimed[0].id, claimed[0].attempt, 503, later);
    assert.match(result.endpoint_disabled ?? "", /^deliveries have failed for 3 days in a row, since /);
    const [row] = await l.db.query<{ enabled: boolean; disabled_reason: string }>(
      "select enabled, disabled_reason from public.webhook_endpoints where id = $1",
      [endpoint],
    );
    assert.equal(row.enabled, false);
    assert.equal(row.disabled_reason, result.endpoint_disabled);
    // The other claimed delivery, still out, ends when its report comes in.
    assert.equal((await record(claimed[1].id, claimed[1].attempt, 500, later)).status, "dead");
  });

  it("are disabled after webhook_disable_after.failures failures in a row; a success in between resets the count", async () => {
    await setSetting(l.db, "webhook_disable_after", { failures: 3, days: 3 });
    try {
      const owner = await createUser(l.db);
      const endpoint = await endpointFor(owner, ["job.queued"]);
      for (let i = 0; i < 4; i++) await createJob(l.db, owner, { type: "wh_streak" });
      const now = new Date(Date.now() + 120_000);
      const ds = await claimAt(owner, now);
      assert.equal(ds.length, 4);
      await record(ds[0].id, 1, 500, now);
      await record(ds[1].id, 1, 500, now);
      await record(ds[2].id, 1, 204, now);
      const [{ failure_streak }] = await l.db.query<{ failure_streak: number }>(
        "select failure_streak from public.webhook_endpoints where id = $1",
        [endpoint],
      );
      assert.equal(failure_streak, 0);
      await record(ds[3].id, 1, 500, now);
      const again = await claimAt(owner, at(now, 10));
      assert.equal(again.length, 3, "the three failed ones, due again");
      assert.equal((await record(again[0].id, 2, 500, at(now, 10))).endpoint_disabled, null);
      const last = await record(again[1].id, 2, 500, at(now, 10));
      assert.equal(last.endpoint_disabled, "3 deliveries failed in a row");
      assert.equal(last.status, "dead");
    } finally {
      await setSetting(l.db, "webhook_disable_after", { failures: 50, days: 3 });
    }
  });
});

describe("replay", () => {
  it("sends a finished delivery again as a new delivery of the same event", async () => {
    const owner = await createUser(l.db);
    const other = await createUser(l.db);
    await endpointFor(owner, ["job.queued"]);
    await createJob(l.db, owner, { type: "wh_replay" });
    const now = new Date(Date.now() + 180_000);
    const [d] = await claimAt(owner, now);
    await refused(l.call("kiln.replay_delivery($1, $2)", [d.id, owner]), "invalid_state");
    await record(d.id, 1, 200, now);
    await refused(l.call("kiln.replay_delivery($1, $2)", [d.id, other]), "not_found");
    const replay = await l.call<string>("kiln.replay_delivery($1, $2)", [d.id, owner]);
    const [row] = await l.db.query<{ event_id: string; status: string; attempts: number; replay_of: string }>(
      "select event_id, status, attempts, replay_of from public.webhook_deliveries where id = $1",
      [replay],
    );
    assert.deepEqual(row, { event_id: d.payload.id, status: "pending", attempts: 0, replay_of: d.id });
  });

  it("bulk: every dead delivery of an endpoint since a time, in order, once the endpoint is enabled again", async () => {
    const owner = await createUser(l.db);
    const endpoint = await endpointFor(owner, ["job.queued"]);
    const since = new Date(Date.now() - 1000);
    for (let i = 0; i < 3; i++) await createJob(l.db, owner, { type: "wh_bulk" });
    const stopped = await l.call<number>("kiln.disable_webhook_endpoint($1, $2)", [endpoint, "maintenance"]);
    assert.equal(stopped, 3);
    await refused(l.call("kiln.replay_failed_deliveries($1, $2, $3)", [endpoint, since, owner]), "invalid_state");
    await l.call("kiln.enable_webhook_endpoint($1, $2)", [endpoint, owner]);
    assert.equal(await l.call("kiln.replay_failed_deliveries($1, $2, $3)", [endpoint, since, owner]), 3);
    assert.equal(await l.call("kiln.replay_failed_deliveries($1, $2, $3)", [endpoint, since, owner]), 0, "not twice");
    const rows = await l.db.query<{ original: string; replayed: string }>(
      `select o.event_id as original, r.event_id as replayed
         from public.webhook_deliveries r join public.webhook_deliveries o on o.id = r.replay_of
        where r.endpoint_id = $1 order by r.seq`,
      [endpoint],
    );
    const originals = await l.db.query<{ event_id: string }>(
      "select event_id from public.webhook_deliveries where endpoint_id = $1 and replay_of is null order by seq",
      [endpoint],
    );
    assert.deepEqual(
      rows.map((r) => r.replayed),
      originals.map((o) => o.event_id),
    );
  });

  it("a ping goes to the endpoint as its own event", async () => {
    const owner = await createUser(l.db);
    const endpoint = await endpointFor(owner, ["job.succeeded"]);
    await l.call("kiln.enqueue_webhook_ping($1, $2)", [endpoint, owner]);
    const [ping] = await claimAt(owner, new Date(Date.now() + 1000));
    assert.equal(ping.event_type, "ping");
    assert.equal(ping.payload.data.endpoint_id, endpoint);
    assert.equal(ping.url, "https://hooks.example.test/x");
  });
});

describe("sweeps", () => {
  it("run each part at most once per interval, and retention deletes what is old", async () => {
    const owner = await createUser(l.db);
    await endpointFor(owner, ["job.queued"]);
    const { job } = await createJob(l.db, owner, { type: "wh_old" });
    const now = new Date(Date.now() + 240_000);
    const [d] = await claimAt(owner, now);
    await record(d.id, 1, 200, now);
    await l.db.query("update public.job_events set created_at = now() - interval '40 days' where job_id = $1", [
      job.id,
    ]);
    await l.db.query("update public.webhook_deliveries set created_at = now() - interval '40 days' where id = $1", [
      d.id,
    ]);
    await l.db.query("update realtime.messages set inserted_at = now() - interval '2 days' where topic = $1", [
      `user:${owner}`,
    ]);
    await l.db.query(
      "insert into kiln.rate_limit_counters (key, window_start, hits) values ('old', now() - interval '2 hours', 1)",
    );

    const first = await l.call<Record<string, unknown>>("kiln.run_sweeps($1)", [at(now, 3600)]);
    assert.deepEqual(Object.keys(first).sort(), ["deadlines_expired", "pruned", "reaped"]);
    const pruned = first.pruned as Record<string, number>;
    assert.ok(pruned.job_events >= 1 && pruned.webhook_deliveries >= 1 && pruned.rate_limit_counters >= 1);
    assert.ok(pruned.broadcast_messages >= 1);
    assert.deepEqual(await l.call("kiln.run_sweeps($1)", [at(now, 3601)]), {}, "not due again yet");
    assert.deepEqual(Object.keys(await l.call("kiln.run_sweeps($1)", [at(now, 3607)])), [
      "reaped",
      "deadlines_expired",
    ]);
    const [{ events, attempts }] = await l.db.query<{ events: number; attempts: number }>(
      `select (select count(*)::int from public.job_events where job_id = $1) as events,
              (select count(*)::int from public.webhook_attempts where delivery_id = $2) as attempts`,
      [job.id, d.id],
    );
    assert.deepEqual([events, attempts], [0, 0]);
  });

  it("the cron schedule is skipped, with a notice, where pg_cron and pg_net are missing", async () => {
    assert.equal(await l.call("kiln.schedule_dispatch()", []), false);
    assert.equal(await l.call("kiln.dispatch_from_cron()", []), null);
  });
});
