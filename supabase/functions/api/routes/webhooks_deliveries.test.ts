/**
 * What a receiver gets from the management routes, with a real receiver on loopback and the dispatcher run by the
 * test: signed pings (verified with the standardwebhooks library, also across a secret rotation), the delivery
 * log with every attempt, replays of one delivery and of every failed one, re-enabling a disabled endpoint, and
 * per-job webhooks signed with the account secret.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import type { ReceivedRequest } from "../../dispatch/testing/webhook_receiver.ts";
import { assertError } from "../testing/auth_refusals.ts";
import { useWebhookKit } from "../testing/webhook_kit.ts";

const kit = useWebhookKit();

/** The requests that reached `path`, in arrival order. */
function at(path: string): ReceivedRequest[] {
  return kit.receiver.requests.filter((r) => r.path === path);
}

describe("webhook deliveries", () => {
  it("a test ping arrives signed with the endpoint's secret; after a rotation both secrets verify", async () => {
    const user = await kit.h.user();
    const { id, secret } = await kit.endpoint(user, "/ping");
    const tested = await kit.h.call("POST", `/v1/webhooks/${id}/test`, { auth: user.token });
    const { delivery_id } = await tested.json();
    assert.equal(tested.status, 202);
    assert.equal((await kit.dispatch()).delivered, 1);
    const [ping] = at("/ping");
    const payload = new Webhook(secret).verify(ping.body, ping.headers) as { type: string; data: object };
    assert.equal(payload.type, "ping");
    assert.deepEqual(payload.data, {
      endpoint_id: id,
      message: "A test event from Kiln: this endpoint receives webhooks.",
    });
    const [row] = await kit.h.sql`select status from public.webhook_deliveries where id = ${delivery_id}`;
    assert.equal(row.status, "succeeded");

    const rotated = await kit.h.call("POST", `/v1/webhooks/${id}/rotate-secret`, { auth: user.token });
    const next = await rotated.json();
    assert.equal(rotated.status, 200);
    assert.match(next.secret, /^whsec_/);
    assert.notEqual(next.secret, secret);
    const grace = Date.parse(next.previous_secret_expires_at) - Date.now();
    assert.ok(grace > 23.9 * 3600_000 && grace <= 24 * 3600_000, `24 h of grace, not ${grace} ms`);
    await kit.h.call("POST", `/v1/webhooks/${id}/test`, { auth: user.token });
    await kit.dispatch();
    const second = at("/ping")[1];
    assert.equal(second.headers["webhook-signature"].split(" ").length, 2, "signed with both secrets");
    new Webhook(next.secret).verify(second.body, second.headers);
    new Webhook(secret).verify(second.body, second.headers);
    assert.throws(() => new Webhook(secret).verify(ping.body, { ...ping.headers, "webhook-id": "msg_other" }));
  });

  it("the delivery log shows each attempt with its response code: a 500, then a success", async () => {
    const user = await kit.h.user();
    const { id } = await kit.endpoint(user, "/flaky");
    let calls = 0;
    kit.receiver.reply((r) =>
      r.path === "/flaky" && calls++ === 0 ? { status: 500, body: "database on fire" } : { status: 204 },
    );
    await kit.h.call("POST", `/v1/webhooks/${id}/test`, { auth: user.token });
    await kit.dispatch();
    const pending = await (
      await kit.h.call("GET", `/v1/webhooks/${id}/deliveries?status=pending`, { auth: user.token })
    ).json();
    assert.equal(pending.data.length, 1);
    assert.equal(pending.data[0].response_code, 500);
    assert.equal(pending.data[0].response_excerpt, "database on fire");
    assert.ok(Date.parse(pending.data[0].next_attempt_at) > Date.now(), "a retry is scheduled");
    await kit.makeDue(id);
    await kit.dispatch();
    kit.receiver.reply(() => ({ status: 204 }));

    const listed = await kit.h.call("GET", `/v1/webhooks/${id}/deliveries`, { auth: user.token });
    const page = await listed.json();
    assert.equal(listed.status, 200, JSON.stringify(page));
    assert.equal(page.data.length, 1);
    const [delivery] = page.data;
    assert.equal(delivery.status, "succeeded");
    assert.equal(delivery.event_type, "ping");
    assert.equal(delivery.attempts, 2);
    assert.equal(delivery.response_code, 204);
    assert.equal(typeof delivery.duration_ms, "number");
    assert.equal(delivery.next_attempt_at, null);
    assert.deepEqual(
      delivery.attempt_log.map((a: { attempt: number; response_code: number; succeeded: boolean }) => [
        a.attempt,
        a.response_code,
        a.succeeded,
      ]),
      [
        [1, 500, false],
        [2, 204, true],
      ],
    );
    assert.equal(delivery.attempt_log[0].response_excerpt, "database on fire");
    assert.ok(delivery.attempt_log[0].next_attempt_at, "the failed attempt says when the retry was due");
    const dead = await (
      await kit.h.call("GET", `/v1/webhooks/${id}/deliveries?status=dead`, { auth: user.token })
    ).json();
    assert.deepEqual(dead.data, []);
  });

  it("replays one delivery: the same event again, with the same webhook-id", async () => {
    const user = await kit.h.user();
    const { id, secret } = await kit.endpoint(user, "/replay-one");
    const { delivery_id } = await (await kit.h.call("POST", `/v1/webhooks/${id}/test`, { auth: user.token })).json();
    await assertError(
      await kit.h.call("POST", `/v1/deliveries/${delivery_id}/replay`, { auth: user.token }),
      409,
      "invalid_state",
      "a pending delivery",
    );
    await kit.dispatch();
    const other = await kit.h.user();
    await assertError(
      await kit.h.call("POST", `/v1/deliveries/${delivery_id}/replay`, { auth: other.token }),
      404,
      "not_found",
    );
    const replayed = await kit.h.call("POST", `/v1/deliveries/${delivery_id}/replay`, { auth: user.token });
    const body = await replayed.json();
    assert.equal(replayed.status, 202, JSON.stringify(body));
    assert.notEqual(body.delivery_id, delivery_id);
    await kit.dispatch();
    const got = at("/replay-one");
    assert.equal(got.length, 2);
    assert.equal(got[1].headers["webhook-id"], got[0].headers["webhook-id"]);
    new Webhook(secret).verify(got[1].body, got[1].headers);
    const log = await (await kit.h.call("GET", `/v1/webhooks/${id}/deliveries`, { auth: user.token })).json();
    assert.equal(log.data.find((d: { id: string }) => d.id === body.delivery_id).replay_of, delivery_id);
  });

  it("an endpoint disabled by a 410 says why; PATCH enabled re-enables it and a bulk replay resends", async () => {
    const user = await kit.h.user();
    const since = new Date(Date.now() - 1000).toISOString();
    const { id } = await kit.endpoint(user, "/gone");
    kit.receiver.reply((r) => (r.path === "/gone" ? { status: 410 } : { status: 204 }));
    await kit.h.call("POST", `/v1/webhooks/${id}/test`, { auth: user.token });
    await kit.dispatch();
    kit.receiver.reply(() => ({ status: 204 }));
    const disabled = await (await kit.h.call("GET", `/v1/webhooks/${id}`, { auth: user.token })).json();
    assert.equal(disabled.enabled, false);
    assert.equal(disabled.disabled_reason, "the endpoint answered 410 Gone");
    assert.equal(disabled.failure_streak, 1);
    assert.ok(disabled.failing_since);
    const listed = await (await kit.h.call("GET", "/v1/webhooks", { auth: user.token })).json();
    assert.equal(listed.data[0].disabled_reason, "the endpoint answered 410 Gone");
    await assertError(
      await kit.h.call("POST", `/v1/webhooks/${id}/replay`, { auth: user.token, body: { since } }),
      409,
      "invalid_state",
      "a disabled endpoint",
    );

    const enabled = await (
      await kit.h.call("PATCH", `/v1/webhooks/${id}`, { auth: user.token, body: { enabled: true } })
    ).json();
    assert.deepEqual(
      [enabled.enabled, enabled.disabled_reason, enabled.failure_streak, enabled.failing_since],
      [true, null, 0, null],
    );
    const later = await kit.h.call("POST", `/v1/webhooks/${id}/replay`, {
      auth: user.token,
      body: { since: new Date(Date.now() + 60_000).toISOString() },
    });
    assert.deepEqual(await later.json(), { replayed: 0 }, "nothing failed after a time still to come");
    const replay = await kit.h.call("POST", `/v1/webhooks/${id}/replay`, {
      auth: user.token,
      body: { since, status: "dead" },
    });
    assert.equal(replay.status, 202);
    assert.deepEqual(await replay.json(), { replayed: 1 });
    assert.equal((await kit.dispatch()).delivered, 1);
    assert.equal(at("/gone").length, 2);
    assert.equal(at("/gone")[1].status, 204);
  });

  it("a per-job webhook is signed with the account secret from GET /v1/webhooks/secret", async () => {
    const user = await kit.h.user();
    const shown = await kit.h.call("GET", "/v1/webhooks/secret", { auth: user.token });
    const { secret, previous_secret_expires_at } = await shown.json();
    assert.equal(shown.status, 200);
    assert.match(secret, /^whsec_/);
    assert.equal(previous_secret_expires_at, null);
    const again = await (await kit.h.call("GET", "/v1/webhooks/secret", { auth: user.token })).json();
    assert.equal(again.secret, secret, "the same secret on every read");

    const created = await kit.h.call("POST", "/v1/jobs", {
      auth: user.token,
      body: {
        type: "txt2img",
        params: { prompt: "a kiln at dusk" },
        webhook: kit.receiver.url("/per-job"),
        webhook_events: ["job.queued"],
      },
    });
    const job = await created.json();
    assert.equal(created.status, 201, JSON.stringify(job));
    await kit.dispatch();
    const [request] = at("/per-job");
    const payload = new Webhook(secret).verify(request.body, request.headers) as {
      type: string;
      data: { id: string };
    };
    assert.equal(payload.type, "job.queued");
    assert.equal(payload.data.id, job.id);

    const rotated = await (await kit.h.call("POST", "/v1/webhooks/secret/rotate", { auth: user.token })).json();
    assert.notEqual(rotated.secret, secret);
    const after = await (await kit.h.call("GET", "/v1/webhooks/secret", { auth: user.token })).json();
    assert.equal(after.secret, rotated.secret);
    assert.ok(after.previous_secret_expires_at, "the previous secret still signs for a while");
  });
});
