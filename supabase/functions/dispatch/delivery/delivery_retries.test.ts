/**
 * What happens when a receiver does not take a delivery: retries on the schedule (5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h, ±10%) after a 5xx, a timeout or a redirect; a 429's Retry-After; 410 disables the endpoint; a
 * receiver down for the whole schedule ends with dead deliveries, a disabled endpoint and every attempt logged.
 * Time does not pass here: each retry is made due by moving next_attempt_at, and the wait it was given is checked.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claim, createJob, createUser, createWorker } from "../../../tests/helpers/fixtures.ts";
import { useDeliveryTest } from "../testing/dispatch_harness.ts";
import { deliveries, finishedJob, makeDue, ownerWithEndpoint } from "../testing/webhook_fixtures.ts";
import { closedPort } from "../testing/webhook_receiver.ts";

const SCHEDULE_S = [5, 300, 1800, 7200, 18000, 36000, 36000];

const t = useDeliveryTest();

/** A queued job of a new owner whose endpoint at `url` receives only job.queued: one delivery. */
async function oneDelivery(url: string): Promise<{ owner: string; endpoint: string; jobId: string }> {
  const { owner, endpoint } = await ownerWithEndpoint(t.h.db, url, ["job.queued"]);
  const { job } = await createJob(t.h.db, owner, { type: "hook_test", cost: 0 });
  return { owner, endpoint: endpoint.id, jobId: job.id };
}

/** Asserts the wait after attempt `n` (1-based) is the schedule's, within its jitter. */
function assertScheduled(row: { last_attempt_at: Date | null; next_attempt_at: Date }, n: number): void {
  const waited = (row.next_attempt_at.getTime() - (row.last_attempt_at as Date).getTime()) / 1000;
  const planned = SCHEDULE_S[n - 1];
  // The wait counts from when the attempt was recorded, a few ms after it started.
  assert.ok(
    waited >= planned * 0.9 && waited <= planned * 1.1 + 1,
    `attempt ${n}: waited ${waited} s, planned ${planned} s`,
  );
}

async function endpointRow(id: string) {
  const [row] = await t.h.db.query<{ enabled: boolean; disabled_reason: string | null; failure_streak: number }>(
    "select enabled, disabled_reason, failure_streak from public.webhook_endpoints where id = $1",
    [id],
  );
  return row;
}

describe("retries", () => {
  it("after a 500, on the schedule with the same event id, and delivered once the receiver recovers", async () => {
    let failing = true;
    t.receiver.reply((r) =>
      r.path === "/flaky" && failing ? { status: 500, body: "database is down" } : { status: 200 },
    );
    const { jobId, endpoint } = await oneDelivery(t.receiver.url("/flaky"));
    const dispatcher = t.h.dispatcher();
    for (let n = 1; n <= 3; n++) {
      const counts = await dispatcher.run();
      assert.deepEqual([counts.attempted, counts.retrying], [1, 1]);
      const [row] = await deliveries(t.h.db, jobId);
      assert.equal(row.status, "pending");
      assert.equal(row.attempts, n);
      assert.equal(row.last_response_code, 500);
      assert.equal(row.last_response_excerpt, "database is down");
      assert.match(row.last_error ?? "", /answered 500/);
      assertScheduled(row, n);
      assert.equal(await dispatcher.run().then((c) => c.attempted), 0, "not before its retry is due");
      await makeDue(t.h.db, { endpoint });
    }
    assert.equal((await endpointRow(endpoint)).failure_streak, 3);
    failing = false;
    assert.equal((await dispatcher.run()).delivered, 1);
    const [row] = await deliveries(t.h.db, jobId);
    assert.equal(row.status, "succeeded");
    assert.equal(row.last_error, null);
    assert.equal((await endpointRow(endpoint)).failure_streak, 0, "a success ends the streak");
    const ids = new Set(t.receiver.requests.filter((r) => r.path === "/flaky").map((r) => r.headers["webhook-id"]));
    assert.deepEqual([...ids], [row.event_id], "every attempt carries the same event id");
    const attempts = await t.h.db.query<{ attempt: number; response_code: number; succeeded: boolean }>(
      "select attempt, response_code, succeeded from public.webhook_attempts where delivery_id = $1 order by attempt",
      [row.id],
    );
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.response_code, a.succeeded]),
      [
        [1, 500, false],
        [2, 500, false],
        [3, 500, false],
        [4, 200, true],
      ],
    );
  });

  it("after a timeout, on the schedule", async () => {
    t.receiver.reply((r) => (r.path === "/slow" ? { status: 200, delayMs: 2000 } : { status: 200 }));
    const { jobId } = await oneDelivery(t.receiver.url("/slow"));
    const started = performance.now();
    const counts = await t.h.dispatcher({ timeoutMs: 300 }).run();
    assert.ok(performance.now() - started < 1500, "the attempt was cut at its timeout");
    assert.equal(counts.retrying, 1);
    const [row] = await deliveries(t.h.db, jobId);
    assert.equal(row.last_response_code, null);
    assert.match(row.last_error ?? "", /timed out after 300 ms/);
    assert.ok((row.last_duration_ms ?? 0) >= 300);
    assertScheduled(row, 1);
  });

  it("a 429 with Retry-After waits that long instead", async () => {
    t.receiver.reply((r) =>
      r.path === "/busy" ? { status: 429, headers: { "retry-after": "120" } } : { status: 200 },
    );
    const { jobId } = await oneDelivery(t.receiver.url("/busy"));
    await t.h.dispatcher().run();
    const [row] = await deliveries(t.h.db, jobId);
    const waited = (row.next_attempt_at.getTime() - (row.last_attempt_at as Date).getTime()) / 1000;
    assert.ok(waited >= 120 && waited < 122, `waited ${waited} s`);
  });

  it("a redirect is not followed and counts as a failure", async () => {
    t.receiver.reply((r) =>
      r.path === "/moved" ? { status: 302, headers: { location: t.receiver.url("/elsewhere") } } : { status: 200 },
    );
    const { jobId } = await oneDelivery(t.receiver.url("/moved"));
    const counts = await t.h.dispatcher().run();
    assert.equal(counts.retrying, 1);
    const [row] = await deliveries(t.h.db, jobId);
    assert.equal(row.last_response_code, 302);
    assert.match(row.last_error ?? "", /redirect not followed: 302 to http:\/\/127\.0\.0\.1:\d+\/elsewhere/);
    assert.equal(t.receiver.requests.filter((r) => r.path === "/elsewhere").length, 0);
    assertScheduled(row, 1);
  });
});

describe("giving up", () => {
  it("410 Gone kills the delivery and disables the endpoint, with the reason, stopping its other deliveries", async () => {
    t.receiver.reply((r) => (r.path === "/gone" ? { status: 410 } : { status: 200 }));
    const { owner, endpoint } = await ownerWithEndpoint(t.h.db, t.receiver.url("/gone"));
    const jobId = await finishedJob(t.h.db, owner);
    const counts = await t.h.dispatcher().run();
    assert.equal(counts.attempted, 1, "the later events never went out");
    const rows = await deliveries(t.h.db, jobId);
    assert.deepEqual(
      rows.map((r) => [r.event_type, r.status, r.attempts]),
      [
        ["job.queued", "dead", 1],
        ["job.started", "dead", 0],
        ["job.succeeded", "dead", 0],
      ],
    );
    assert.match(rows[1].last_error ?? "", /endpoint was disabled \(the endpoint answered 410 Gone\)/);
    const row = await endpointRow(endpoint.id);
    assert.equal(row.enabled, false);
    assert.equal(row.disabled_reason, "the endpoint answered 410 Gone");
    // Disabled endpoints get no new deliveries.
    await finishedJob(t.h.db, owner);
    assert.equal(
      (await deliveries(t.h.db)).filter((r) => r.endpoint_id === endpoint.id && r.status === "pending").length,
      0,
    );
  });

  it("410 on a job's own webhook ends that delivery only", async () => {
    t.receiver.reply((r) => (r.path === "/job-gone" ? { status: 410 } : { status: 200 }));
    const owner = await createUser(t.h.db, { credits: 1000 });
    const { job } = await createJob(t.h.db, owner, {
      type: "hook_test",
      cost: 0,
      webhookUrl: t.receiver.url("/job-gone"),
    });
    await t.h.dispatcher().run();
    const [row] = await deliveries(t.h.db, job.id);
    assert.equal(row.status, "dead");
    assert.match(row.last_error ?? "", /410 Gone/);
  });

  it("a receiver down for the whole schedule: dead deliveries, a disabled endpoint, every attempt logged", async () => {
    const down = `http://127.0.0.1:${await closedPort()}/down`;
    const { owner, endpoint } = await ownerWithEndpoint(t.h.db, down, ["job.queued", "job.started"]);
    // Seven jobs, each with job.queued and job.started: 14 deliveries, seven of them sendable at a time.
    for (let i = 0; i < 7; i++) await createJob(t.h.db, owner, { type: "hook_down", cost: 0 });
    assert.equal((await claim(t.h.db, await createWorker(t.h.db, ["hook_down"]), 7, ["hook_down"])).length, 7);
    const dispatcher = t.h.dispatcher({ concurrency: 16 });
    for (let round = 1; round <= 9; round++) {
      const counts = await dispatcher.run();
      if (counts.attempted === 0) break;
      if (round < 8) {
        const pending = (await deliveries(t.h.db)).filter(
          (r) => r.endpoint_id === endpoint.id && r.status === "pending" && r.attempts === round,
        );
        for (const row of pending) assertScheduled(row, round);
      }
      await makeDue(t.h.db, { endpoint: endpoint.id });
    }
    const mine = await t.h.db.query<{ status: string; attempts: number; event_type: string; last_error: string }>(
      "select status, attempts, event_type, last_error from public.webhook_deliveries where endpoint_id = $1",
      [endpoint.id],
    );
    assert.equal(mine.length, 14);
    assert.ok(
      mine.every((r) => r.status === "dead"),
      "every delivery is dead",
    );
    const queued = mine.filter((r) => r.event_type === "job.queued");
    assert.ok(
      queued.every((r) => r.attempts === 8),
      `each first delivery was tried 8 times: ${queued.map((r) => r.attempts)}`,
    );
    assert.ok(queued.every((r) => /ECONNREFUSED|connection failed/.test(r.last_error)));
    const started = mine.filter((r) => r.event_type === "job.started");
    assert.ok(started.every((r) => r.attempts === 0 && /endpoint was disabled/.test(r.last_error)));
    const state = await endpointRow(endpoint.id);
    assert.equal(state.enabled, false);
    assert.match(state.disabled_reason ?? "", /^5\d deliveries failed in a row$/);
    const [{ logged, made }] = await t.h.db.query<{ logged: number; made: number }>(
      `select (select count(*)::int from public.webhook_attempts a join public.webhook_deliveries d on d.id = a.delivery_id
                where d.endpoint_id = $1 and not a.succeeded) as logged,
              (select sum(attempts)::int from public.webhook_deliveries where endpoint_id = $1) as made`,
      [endpoint.id],
    );
    assert.equal(made, 56);
    assert.equal(logged, made, "every attempt is in the log");
  });
});
