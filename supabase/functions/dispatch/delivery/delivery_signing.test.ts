/**
 * What a receiver gets and how it trusts it: Standard Webhooks signatures that the standardwebhooks library
 * verifies (also across a secret rotation, and for per-job webhooks signed with the account secret), the payload
 * with its API links, and the headers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { eventually } from "../../../../scripts/testing/eventually.ts";
import { KILN_VERSION } from "../../../../shared/version.ts";
import { createUser } from "../../../tests/helpers/fixtures.ts";
import { TEST_API_URL, useDeliveryTest } from "../testing/dispatch_harness.ts";
import { finishedJob, ownerWithEndpoint } from "../testing/webhook_fixtures.ts";
import type { ReceivedRequest } from "../testing/webhook_receiver.ts";

const t = useDeliveryTest();

/** The requests the receiver got for one job, in arrival order. */
function forJob(jobId: string): ReceivedRequest[] {
  return t.receiver.requests.filter((r) => JSON.parse(r.body).data?.id === jobId);
}

describe("signatures", () => {
  it("verify with the endpoint's secret, and the payload is the event with API links", async () => {
    const { owner, endpoint } = await ownerWithEndpoint(t.h.db, t.receiver.url("/signed"));
    const jobId = await finishedJob(t.h.db, owner);
    const counts = await t.h.dispatcher().run();
    assert.equal(counts.delivered, 3);
    const got = forJob(jobId);
    assert.deepEqual(
      got.map((r) => JSON.parse(r.body).type),
      ["job.queued", "job.started", "job.succeeded"],
    );
    const events = await t.h.db.query<{ id: string }>(
      "select id from public.job_events where job_id = $1 order by seq",
      [jobId],
    );
    for (const [i, request] of got.entries()) {
      const payload = new Webhook(endpoint.secret).verify(request.body, request.headers) as Record<string, unknown>;
      assert.equal(payload.id, request.headers["webhook-id"], "the body's id is the webhook-id");
      assert.equal(payload.id, events[i].id, "the webhook-id is the job event's id");
      assert.equal(request.headers["user-agent"], `Kiln-Webhooks/${KILN_VERSION}`);
      assert.equal(request.headers["content-type"], "application/json");
      assert.ok(Math.abs(Number(request.headers["webhook-timestamp"]) - Date.now() / 1000) < 30);
      assert.equal(request.headers["webhook-signature"].split(" ").length, 1, "one signature outside a rotation");
    }
    const succeeded = JSON.parse(got[2].body);
    assert.equal(succeeded.data.status, "succeeded");
    assert.equal(succeeded.data.outputs.length, 1);
    assert.deepEqual(succeeded.data.links, {
      job: `${TEST_API_URL}/functions/v1/api/v1/jobs/${jobId}`,
      outputs: `${TEST_API_URL}/functions/v1/api/v1/jobs/${jobId}/outputs`,
    });
    assert.equal(succeeded.data.truncated, undefined);
  });

  it("a tampered body or a wrong secret does not verify", async () => {
    const { owner, endpoint } = await ownerWithEndpoint(t.h.db, t.receiver.url("/tamper"), ["job.queued"]);
    const [{ other }] = await t.h.db.query<{ other: string }>("select kiln.new_webhook_secret() as other");
    const jobId = await finishedJob(t.h.db, owner);
    await t.h.dispatcher().run();
    const [request] = forJob(jobId);
    assert.throws(() => new Webhook(endpoint.secret).verify(`${request.body} `, request.headers), /signature/i);
    assert.throws(() => new Webhook(other).verify(request.body, request.headers), /signature/i);
  });

  it("during a rotation both signatures are sent, and each verifies with its own secret", async () => {
    const { owner, endpoint } = await ownerWithEndpoint(t.h.db, t.receiver.url("/rotated"), ["job.queued"]);
    const [{ secret: next }] = await t.h.db.query<{ secret: string }>(
      "select kiln.rotate_webhook_secret($1, $2) as secret",
      [endpoint.id, owner],
    );
    assert.notEqual(next, endpoint.secret);
    const jobId = await finishedJob(t.h.db, owner);
    await t.h.dispatcher().run();
    const [request] = forJob(jobId);
    const parts = request.headers["webhook-signature"].split(" ");
    assert.equal(parts.length, 2);
    for (const secret of [next, endpoint.secret]) new Webhook(secret).verify(request.body, request.headers);
    const alone = (signature: string) => ({ ...request.headers, "webhook-signature": signature });
    new Webhook(next).verify(request.body, alone(parts[0]));
    new Webhook(endpoint.secret).verify(request.body, alone(parts[1]));
    assert.throws(() => new Webhook(next).verify(request.body, alone(parts[1])), /signature/i);

    // When the grace period is over, only the new secret signs.
    await t.h.db.query("update public.webhook_endpoints set previous_secret_expires_at = now() where id = $1", [
      endpoint.id,
    ]);
    const later = await finishedJob(t.h.db, owner);
    await t.h.dispatcher().run();
    const [after] = forJob(later);
    assert.equal(after.headers["webhook-signature"].split(" ").length, 1);
    assert.throws(() => new Webhook(endpoint.secret).verify(after.body, after.headers), /signature/i);
    new Webhook(next).verify(after.body, after.headers);
  });

  it("a job's own webhook is signed with the account secret, made on first use and rotatable", async () => {
    const owner = await createUser(t.h.db, { credits: 1000 });
    const jobId = await finishedJob(t.h.db, owner, { webhookUrl: t.receiver.url("/per-job") });
    // Runs until the job's three events have arrived (once seen in CI, a run ended with one still to send).
    const delivered = (id: string, n: number) =>
      eventually(
        async () => {
          await t.h.dispatcher().run();
          return forJob(id).length >= n;
        },
        `${n} deliveries for job ${id}`,
        10_000,
      );
    await delivered(jobId, 3);
    const [{ secret }] = await t.h.db.query<{ secret: string }>("select kiln.account_webhook_secret($1) as secret", [
      owner,
    ]);
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = forJob(jobId);
    assert.equal(got.length, 3);
    for (const request of got) new Webhook(secret).verify(request.body, request.headers);

    const [{ next }] = await t.h.db.query<{ next: string }>("select kiln.rotate_account_webhook_secret($1) as next", [
      owner,
    ]);
    const second = await finishedJob(t.h.db, owner, { webhookUrl: t.receiver.url("/per-job") });
    await delivered(second, 3);
    for (const request of forJob(second)) {
      new Webhook(next).verify(request.body, request.headers);
      new Webhook(secret).verify(request.body, request.headers);
    }
  });
});

describe("payload size", () => {
  it("a body over 20 KB loses its params first, and says so", async () => {
    const { owner } = await ownerWithEndpoint(t.h.db, t.receiver.url("/large"), ["job.queued"]);
    const [{ result }] = await t.h.db.query<{ result: { job: { id: string } } }>(
      "select kiln.create_job(p_owner_id => $1, p_type => 'hook_test', p_params => $2, p_cost => 0) as result",
      [owner, { prompt: "x".repeat(30_000) }],
    );
    await t.h.dispatcher().run();
    const [request] = forJob(result.job.id);
    assert.ok(Buffer.byteLength(request.body) <= 20 * 1024, `${Buffer.byteLength(request.body)} bytes`);
    const payload = JSON.parse(request.body);
    assert.equal(payload.data.params, null);
    assert.deepEqual(payload.data.truncated, ["params"]);
    assert.equal(payload.data.status, "queued");
  });
});
