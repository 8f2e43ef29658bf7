/**
 * Order: per target, a job's events reach the receiver in the order they happened, whatever the number of
 * dispatchers running at once and however often the receiver fails; and job.progress goes at most once a second
 * per job and target, its latest tick always before the terminal event.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { claim, createJob, createWorker, setSetting } from "../../../tests/helpers/fixtures.ts";
import { useDeliveryTest } from "../testing/dispatch_harness.ts";
import { deliveries, makeDue, ownerWithEndpoint } from "../testing/webhook_fixtures.ts";
import type { ReceivedRequest } from "../testing/webhook_receiver.ts";

const t = useDeliveryTest((h) => setSetting(h.db, "retry_backoff", { base_seconds: 0, max_seconds: 0 }));

/** Accepted requests to `path`, by job id, each as its webhook-ids in arrival order. */
function acceptedByJob(path: string): Map<string, string[]> {
  const byJob = new Map<string, string[]>();
  for (const r of t.receiver.requests) {
    if (r.path !== path || r.status >= 300) continue;
    const jobId = JSON.parse(r.body).data.id as string;
    byJob.set(jobId, [...(byJob.get(jobId) ?? []), r.headers["webhook-id"]]);
  }
  return byJob;
}

describe("order", () => {
  it("holds per job and target with 4 dispatchers at once and a receiver failing 1 request in 6", async () => {
    // Deterministic "randomness": every 6th request fails, and replies take 0–14 ms.
    let n = 0;
    t.receiver.reply((r) => {
      if (!r.path.startsWith("/ordered")) return { status: 204 };
      n++;
      return { status: n % 6 === 0 ? 500 : 200, delayMs: (n * 7) % 15 };
    });
    const { owner } = await ownerWithEndpoint(t.h.db, t.receiver.url("/ordered"));
    const type = "hook_order";
    const worker = await createWorker(t.h.db, [type]);
    const dispatchers = Array.from({ length: 4 }, () => t.h.dispatcher({ concurrency: 6, batchSize: 4 }, 3));
    const pending = async () =>
      (
        await t.h.db.query<{ n: number }>(
          "select count(*)::int as n from public.webhook_deliveries where owner_id = $1 and status = 'pending'",
          [owner],
        )
      )[0].n;

    let producing = true;
    let rounds = 0;
    const loops = dispatchers.map(async (d) => {
      while ((producing || (await pending()) > 0) && rounds++ < 2000) {
        await d.run();
        await makeDue(t.h.db, { owner });
        await sleep(2);
      }
    });
    // Four jobs, each failing 5 times (re-queued at once) before it succeeds: 13 events a job, made while the
    // dispatchers run. Each job also has its own webhook URL, a second target.
    const jobs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { job } = await createJob(t.h.db, owner, {
        type,
        cost: 0,
        maxAttempts: 6,
        webhookUrl: t.receiver.url("/ordered-job"),
      });
      jobs.push(job.id);
    }
    for (let attempt = 1; attempt <= 6; attempt++) {
      const held = await claim(t.h.db, worker, 4, [type]);
      assert.equal(held.length, 4);
      for (const c of held) {
        if (attempt < 6) {
          await t.h.db.query("select kiln.fail_job($1, $2, $3, $4)", [
            c.id,
            worker,
            c.fencing_token,
            { code: "oom", message: "out of memory", retryable: true },
          ]);
        } else {
          await t.h.db.query("select kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]);
        }
      }
    }
    producing = false;
    await Promise.all(loops);
    assert.equal(await pending(), 0, "everything was delivered");

    for (const path of ["/ordered", "/ordered-job"]) {
      const got = acceptedByJob(path);
      for (const jobId of jobs) {
        const events = await t.h.db.query<{ id: string }>(
          "select id from public.job_events where job_id = $1 and type <> 'job.cancel_requested' order by seq",
          [jobId],
        );
        assert.equal(events.length, 13);
        assert.deepEqual(
          got.get(jobId),
          events.map((e) => e.id),
          `${path}: job ${jobId} out of order`,
        );
      }
    }
    assert.ok(
      t.receiver.requests.some((r) => r.status === 500),
      "some requests failed and were retried",
    );
  });
});

describe("job.progress", () => {
  it("goes at most once a second per job and target, the latest tick before the terminal event", async () => {
    const { owner, endpoint } = await ownerWithEndpoint(t.h.db, t.receiver.url("/progress"), [
      "job.progress",
      "job.succeeded",
    ]);
    const type = "hook_progress";
    const worker = await createWorker(t.h.db, [type]);
    await createJob(t.h.db, owner, { type, cost: 0 });
    const [c] = await claim(t.h.db, worker, 1, [type]);
    const beat = (value: number) =>
      t.h.db.query("select kiln.heartbeat($1, $2, $3, 'executing', $4)", [
        c.id,
        worker,
        c.fencing_token,
        { value, max: 3 },
      ]);
    const dispatcher = t.h.dispatcher();

    await beat(1);
    assert.equal((await dispatcher.run()).delivered, 1);
    await beat(2);
    await beat(3);
    await t.h.db.query("select kiln.complete_job($1, $2, $3, '[]')", [c.id, worker, c.fencing_token]);
    assert.equal((await dispatcher.run()).attempted, 0, "the next progress waits its second; the end waits for it");

    const rows = (await deliveries(t.h.db, c.id)).filter((r) => r.endpoint_id === endpoint.id);
    assert.deepEqual(
      rows.map((r) => r.event_type),
      ["job.progress", "job.progress", "job.succeeded"],
      "ticks 2 and 3 became one delivery",
    );
    const lingering = t.h.dispatcher({ lingerMs: 2000 });
    assert.equal((await lingering.run()).delivered, 2);

    const got = t.receiver.requests.filter((r) => r.path === "/progress");
    const bodies = got.map((r: ReceivedRequest) => JSON.parse(r.body));
    assert.deepEqual(
      bodies.map((b) => [b.type, b.data.progress.value]),
      [
        ["job.progress", 1],
        ["job.progress", 3],
        ["job.succeeded", 3],
      ],
    );
    assert.ok(got[1].at - got[0].at >= 950, `progress ${Math.round(got[1].at - got[0].at)} ms apart`);
    assert.ok(got[2].at >= got[1].at);
  });
});
