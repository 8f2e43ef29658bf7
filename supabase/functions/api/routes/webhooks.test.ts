/**
 * Webhook endpoints over HTTP: registration shows the secret once, the SSRF and https checks refuse bad URLs
 * (DNS answers set by the test), one user never sees or changes another's endpoints, and every change is audited.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertError } from "../testing/auth_refusals.ts";
import { useWebhookKit } from "../testing/webhook_kit.ts";

const kit = useWebhookKit();

describe("webhook endpoints", () => {
  it("show the whsec_ secret once, on creation; list and get never do", async () => {
    const user = await kit.h.user();
    const created = await kit.h.call("POST", "/v1/webhooks", {
      auth: user.token,
      body: { url: kit.receiver.url("/once"), events: ["job.succeeded", "job.failed"], description: "orders" },
    });
    const body = await created.json();
    assert.equal(created.status, 201, JSON.stringify(body));
    assert.match(body.secret, /^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    assert.deepEqual(body.webhook.events, ["job.succeeded", "job.failed"]);
    assert.equal(body.webhook.enabled, true);
    assert.equal(body.webhook.disabled_reason, null);
    assert.equal(body.webhook.failure_streak, 0);

    const listed = await kit.h.call("GET", "/v1/webhooks", { auth: user.token });
    const page = await listed.json();
    assert.equal(listed.status, 200);
    assert.deepEqual(
      page.data.map((w: { id: string }) => w.id),
      [body.webhook.id],
    );
    assert.equal(page.next_cursor, null);
    assert.ok(!JSON.stringify(page).includes(body.secret), "the list does not show the secret");
    const got = await kit.h.call("GET", `/v1/webhooks/${body.webhook.id}`, { auth: user.token });
    const one = await got.json();
    assert.equal(got.status, 200);
    assert.deepEqual(one, body.webhook);
    assert.equal(one.secret, undefined);
  });

  it("page with a cursor and change with PATCH; DELETE removes", async () => {
    const user = await kit.h.user();
    const a = await kit.endpoint(user, "/a");
    const b = await kit.endpoint(user, "/b");
    const first = await (await kit.h.call("GET", "/v1/webhooks?limit=1", { auth: user.token })).json();
    assert.equal(first.data[0].id, b.id);
    const second = await (
      await kit.h.call("GET", `/v1/webhooks?limit=1&cursor=${first.next_cursor}`, { auth: user.token })
    ).json();
    assert.deepEqual(
      second.data.map((w: { id: string }) => w.id),
      [a.id],
    );

    const patched = await kit.h.call("PATCH", `/v1/webhooks/${a.id}`, {
      auth: user.token,
      body: { events: ["*"], description: null, url: kit.receiver.url("/a2") },
    });
    const changed = await patched.json();
    assert.equal(patched.status, 200, JSON.stringify(changed));
    assert.equal(changed.url, kit.receiver.url("/a2"));
    assert.equal(changed.description, null);

    const off = await (
      await kit.h.call("PATCH", `/v1/webhooks/${a.id}`, { auth: user.token, body: { enabled: false } })
    ).json();
    assert.equal(off.enabled, false);
    assert.equal(off.disabled_reason, "disabled by its owner");

    assert.equal((await kit.h.call("DELETE", `/v1/webhooks/${a.id}`, { auth: user.token })).status, 204);
    await assertError(await kit.h.call("GET", `/v1/webhooks/${a.id}`, { auth: user.token }), 404, "not_found");
  });

  it("refuse URLs that resolve to private addresses, and plain http to hosts not on the allow-list", async () => {
    const user = await kit.h.user();
    kit.answers.set("internal.example.test", ["10.0.0.5"]);
    kit.answers.set("hooks.example.test", ["93.184.216.34"]);
    const privateHost = await assertError(
      await kit.h.call("POST", "/v1/webhooks", { auth: user.token, body: { url: "https://internal.example.test/h" } }),
      422,
      "webhook_url_refused",
    );
    assert.match(privateHost.error.message, /10\.0\.0\.5 is a private address/);
    const metadata = await assertError(
      await kit.h.call("POST", "/v1/webhooks", { auth: user.token, body: { url: "https://169.254.169.254/latest" } }),
      422,
      "webhook_url_refused",
    );
    assert.match(metadata.error.message, /cloud metadata/);
    const http = await assertError(
      await kit.h.call("POST", "/v1/webhooks", { auth: user.token, body: { url: "http://hooks.example.test/h" } }),
      422,
      "webhook_url_refused",
    );
    assert.match(http.error.message, /plain http is allowed only for hosts on the allow-list/);

    const ok = await kit.h.call("POST", "/v1/webhooks", {
      auth: user.token,
      body: { url: "https://hooks.example.test/h" },
    });
    const { webhook } = await ok.json();
    assert.equal(ok.status, 201);
    await assertError(
      await kit.h.call("PATCH", `/v1/webhooks/${webhook.id}`, {
        auth: user.token,
        body: { url: "https://internal.example.test/h" },
      }),
      422,
      "webhook_url_refused",
    );
    const [row] = await kit.h.sql`select url from public.webhook_endpoints where id = ${webhook.id}`;
    assert.equal(row.url, "https://hooks.example.test/h", "a refused URL changes nothing");
  });

  it("refuse unknown events and fields", async () => {
    const user = await kit.h.user();
    const bad = await assertError(
      await kit.h.call("POST", "/v1/webhooks", {
        auth: user.token,
        body: { url: kit.receiver.url(), events: ["job.exploded"] },
      }),
      422,
      "validation_failed",
    );
    assert.match(String(bad.error.details?.["events.0"]), /job\.queued/);
  });

  it("are invisible to other users: 404 for every route", async () => {
    const owner = await kit.h.user();
    const other = await kit.h.user();
    const { id } = await kit.endpoint(owner, "/private");
    const calls: [string, string, unknown?][] = [
      ["GET", `/v1/webhooks/${id}`],
      ["PATCH", `/v1/webhooks/${id}`, { description: "mine now" }],
      ["DELETE", `/v1/webhooks/${id}`],
      ["POST", `/v1/webhooks/${id}/rotate-secret`],
      ["POST", `/v1/webhooks/${id}/test`],
      ["GET", `/v1/webhooks/${id}/deliveries`],
      ["POST", `/v1/webhooks/${id}/replay`, { since: new Date(0).toISOString() }],
    ];
    for (const [method, path, body] of calls) {
      await assertError(await kit.h.call(method, path, { auth: other.token, body }), 404, "not_found", path);
    }
    const list = await (await kit.h.call("GET", "/v1/webhooks", { auth: other.token })).json();
    assert.deepEqual(list.data, []);
    const [row] = await kit.h.sql`select description, enabled from public.webhook_endpoints where id = ${id}`;
    assert.deepEqual({ ...row }, { description: null, enabled: true });
  });

  it("write an audit row for every change, with no secret in it", async () => {
    const user = await kit.h.user();
    const key = await kit.h.apiKey(user, ["webhooks:manage"]);
    const created = await (
      await kit.h.call("POST", "/v1/webhooks", { auth: key, body: { url: kit.receiver.url("/audited") } })
    ).json();
    const id = created.webhook.id;
    await kit.h.call("PATCH", `/v1/webhooks/${id}`, { auth: key, body: { description: "x" } });
    await kit.h.call("POST", `/v1/webhooks/${id}/rotate-secret`, { auth: key });
    await kit.h.call("POST", `/v1/webhooks/${id}/test`, { auth: key });
    await kit.h.call("POST", `/v1/webhooks/${id}/replay`, { auth: key, body: { since: new Date(0).toISOString() } });
    await kit.h.call("DELETE", `/v1/webhooks/${id}`, { auth: key });
    await kit.h.call("POST", "/v1/webhooks/secret/rotate", { auth: key });
    const rows = await kit.h.sql<{ action: string; actor_kind: string; target_id: string; details: object }[]>`
      select action, actor_kind, target_id, details from public.audit_log
       where details ->> 'user_id' = ${user.id} order by id`;
    assert.deepEqual(
      rows.map((r) => r.action),
      [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.tested",
        "webhook.deliveries_replayed",
        "webhook.deleted",
        "webhook.account_secret_rotated",
      ],
    );
    assert.ok(rows.slice(0, 6).every((r) => r.target_id === id && r.actor_kind === "api_key"));
    assert.ok(!JSON.stringify(rows).includes("whsec_"), "no secret in the audit log");
  });
});
