/**
 * API keys through the HTTP API: create → use → list → change → revoke; the secret shown once; last_used_at
 * written at most once a minute; one user's keys out of another's reach; no scope escalation; validation;
 * audit rows.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ApiKey } from "../../../../shared/api/keys.ts";
import { sha256Hex } from "../../../../shared/sha256_hex.ts";
import { type ApiHarness, startApiHarness, type TestUser } from "../testing/api_harness.ts";
import { appWithEnv } from "../testing/app_with_env.ts";
import { assertError } from "../testing/auth_refusals.ts";

interface Created {
  key: string;
  api_key: ApiKey;
}

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(() => h.close());

async function createKey(auth: string, body: Record<string, unknown>, headers?: Record<string, string>) {
  const response = await h.call("POST", "/v1/keys", { auth, body, headers });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as Created;
}

async function listKeys(auth: string, query = ""): Promise<{ data: ApiKey[]; next_cursor: string | null }> {
  const response = await h.call("GET", `/v1/keys${query}`, { auth });
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

describe("the life of a key", () => {
  let user: TestUser;
  let created: Created;
  before(async () => {
    user = await h.user();
    created = await createKey(user.token, { name: " render farm ", scopes: ["jobs:read", "account:read"] });
  });

  it("creates a key and shows its secret once, storing only its hash", async () => {
    const { key, api_key } = created;
    assert.match(key, /^kiln_sk_[A-Za-z0-9]{52}$/);
    assert.equal(api_key.name, "render farm");
    assert.deepEqual(api_key.scopes, ["jobs:read", "account:read"]);
    assert.equal(api_key.prefix, key.slice(0, 20));
    assert.equal(api_key.expires_at, null);
    assert.equal(api_key.revoked_at, null);
    assert.equal(api_key.last_used_at, null);
    assert.equal("secret_hash" in api_key, false);
    const [row] = await h.sql`select secret_hash, owner_id from public.api_keys where id = ${api_key.id}`;
    assert.equal(row.secret_hash, sha256Hex(key));
    assert.equal(row.owner_id, user.id);
  });

  it("authenticates with the key as a Bearer token or in x-api-key", async () => {
    for (const init of [{ auth: created.key }, { headers: { "x-api-key": created.key } }]) {
      const response = await h.call("GET", "/v1/me", init);
      assert.equal(response.status, 200);
      const me = await response.json();
      assert.equal(me.id, user.id);
      assert.deepEqual(me.principal, {
        kind: "api_key",
        api_key_id: created.api_key.id,
        scopes: created.api_key.scopes,
      });
    }
  });

  it("never shows the secret again", async () => {
    const listed = await h.call("GET", "/v1/keys", { auth: user.token });
    const text = await listed.text();
    assert.ok(text.includes(created.api_key.id));
    assert.ok(!text.includes(created.key), "the list holds the secret");
    assert.ok(!text.includes(sha256Hex(created.key)), "the list holds the hash");
    const patched = await h.call("PATCH", `/v1/keys/${created.api_key.id}`, {
      auth: user.token,
      body: { name: "renamed" },
    });
    assert.ok(!(await patched.text()).includes(created.key));
  });

  it("changes name, scopes and rate limit, and restores the default rate with null", async () => {
    const path = `/v1/keys/${created.api_key.id}`;
    let response = await h.call("PATCH", path, {
      auth: user.token,
      body: { name: "gpu box", scopes: ["jobs:read", "jobs:write"], rate_limit_per_minute: 30 },
    });
    assert.equal(response.status, 200);
    let key = (await response.json()) as ApiKey;
    assert.equal(key.name, "gpu box");
    assert.deepEqual(key.scopes, ["jobs:read", "jobs:write"]);
    assert.equal(key.rate_limit_per_minute, 30);
    // The key now lacks account:read.
    await assertError(await h.call("GET", "/v1/me", { auth: created.key }), 403, "missing_scope");
    response = await h.call("PATCH", path, { auth: user.token, body: { rate_limit_per_minute: null } });
    key = (await response.json()) as ApiKey;
    assert.equal(key.rate_limit_per_minute, null);
    assert.equal(key.name, "gpu box");
  });

  it("revokes the key: it is refused at once, stays listed, cannot change, and revoking again is a no-op", async () => {
    const path = `/v1/keys/${created.api_key.id}`;
    const response = await h.call("DELETE", path, { auth: user.token });
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    await assertError(await h.call("GET", "/v1/keys", { auth: created.key }), 401, "api_key_revoked");
    const listed = (await listKeys(user.token)).data.find((k) => k.id === created.api_key.id);
    assert.ok(listed?.revoked_at);
    await assertError(
      await h.call("PATCH", path, { auth: user.token, body: { name: "again" } }),
      409,
      "conflict",
      "changing a revoked key",
    );
    assert.equal((await h.call("DELETE", path, { auth: user.token })).status, 204);
    const [row] = await h.sql`select revoked_at from public.api_keys where id = ${created.api_key.id}`;
    assert.equal(row.revoked_at.toISOString(), listed.revoked_at);
  });
});

describe("expiry", () => {
  it("sets expires_at from expires_in_days or takes it as given", async () => {
    const user = await h.user();
    const inDays = await createKey(user.token, { name: "a", scopes: ["jobs:read"], expires_in_days: 30 });
    const expected = Date.now() + 30 * 86_400_000;
    assert.ok(Math.abs(Date.parse(inDays.api_key.expires_at ?? "") - expected) < 60_000);
    const at = "2040-01-31T12:00:00.000Z";
    const given = await createKey(user.token, { name: "b", scopes: ["jobs:read"], expires_at: at });
    assert.equal(given.api_key.expires_at, at);
  });

  it("refuses a key once it has expired, though the isolate still holds its row", async () => {
    const user = await h.user();
    const expiresAt = new Date(Date.now() + 1500);
    const { key } = await createKey(user.token, {
      name: "a",
      scopes: ["account:read"],
      expires_at: expiresAt.toISOString(),
    });
    assert.equal((await h.call("GET", "/v1/me", { auth: key })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    await assertError(await h.call("GET", "/v1/me", { auth: key }), 401, "api_key_expired");
  });
});

describe("last_used_at", () => {
  it("is set on first use and not rewritten within a minute", async () => {
    // Without the key cache, so the test can move last_used_at back behind the API's back.
    const app = appWithEnv(h, { KILN_API_KEY_CACHE_SECONDS: "0" });
    after(() => app.close());
    const user = await h.user();
    const { key, api_key } = await createKey(user.token, { name: "a", scopes: ["account:read"] });
    const lastUsed = async () =>
      (
        (await h.sql`select last_used_at from public.api_keys where id = ${api_key.id}`)[0].last_used_at as Date | null
      )?.toISOString() ?? null;
    assert.equal(await lastUsed(), null);
    await app.call("GET", "/v1/me", { auth: key });
    const first = await lastUsed();
    assert.ok(first);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await app.call("GET", "/v1/me", { auth: key });
    assert.equal(await lastUsed(), first, "rewritten within a minute");
    await h.sql`update public.api_keys set last_used_at = now() - interval '2 minutes' where id = ${api_key.id}`;
    const stale = await lastUsed();
    await app.call("GET", "/v1/me", { auth: key });
    assert.ok(Date.parse((await lastUsed()) ?? "") > Date.parse(stale ?? ""), "not rewritten after a minute");
  });
});

describe("the key cache", () => {
  it("serves a key's row for its TTL; a change made elsewhere shows after it, one made here at once", async () => {
    const app = appWithEnv(h, { KILN_API_KEY_CACHE_SECONDS: "1" });
    after(() => app.close());
    const user = await h.user();
    const elsewhere = await createKey(user.token, { name: "a", scopes: ["account:read"] });
    assert.equal((await app.call("GET", "/v1/me", { auth: elsewhere.key })).status, 200);
    // Revoked by another isolate (here: straight in the database).
    await h.sql`update public.api_keys set revoked_at = now() where id = ${elsewhere.api_key.id}`;
    assert.equal((await app.call("GET", "/v1/me", { auth: elsewhere.key })).status, 200, "cached within the TTL");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await assertError(await app.call("GET", "/v1/me", { auth: elsewhere.key }), 401, "api_key_revoked");

    const here = await createKey(user.token, { name: "b", scopes: ["account:read", "keys:manage"] });
    assert.equal((await app.call("GET", "/v1/me", { auth: here.key })).status, 200);
    const revoked = await app.call("DELETE", `/v1/keys/${here.api_key.id}`, { auth: here.key });
    assert.equal(revoked.status, 204);
    await assertError(await app.call("GET", "/v1/me", { auth: here.key }), 401, "api_key_revoked");
  });
});

describe("one user's keys are out of another's reach", () => {
  it("B cannot list, change or revoke A's key, with a token or with B's own key", async () => {
    const a = await h.user();
    const b = await h.user();
    const aKey = await createKey(a.token, { name: "a's", scopes: ["account:read"] });
    const bKey = await h.apiKey(b, ["keys:manage"]);
    await createKey(b.token, { name: "b's", scopes: ["jobs:read"] });
    for (const auth of [b.token, bKey]) {
      const listed = await listKeys(auth);
      assert.ok(listed.data.every((k) => k.id !== aKey.api_key.id));
      const path = `/v1/keys/${aKey.api_key.id}`;
      await assertError(await h.call("PATCH", path, { auth, body: { name: "mine" } }), 404, "not_found");
      await assertError(await h.call("DELETE", path, { auth }), 404, "not_found");
    }
    const [row] = await h.sql`select name, revoked_at from public.api_keys where id = ${aKey.api_key.id}`;
    assert.deepEqual({ ...row }, { name: "a's", revoked_at: null });
    assert.equal((await h.call("GET", "/v1/me", { auth: aKey.key })).status, 200);
  });

  it("answers 404 for a key that does not exist", async () => {
    const user = await h.user();
    const path = "/v1/keys/6a1f4c7e-1111-4222-8333-944455556666";
    await assertError(await h.call("DELETE", path, { auth: user.token }), 404, "not_found");
  });
});

describe("no scope escalation", () => {
  it("lets an API key give a new key only scopes it holds", async () => {
    const user = await h.user();
    const key = await h.apiKey(user, ["keys:manage", "jobs:read"]);
    const refused = await assertError(
      await h.call("POST", "/v1/keys", { auth: key, body: { name: "more", scopes: ["jobs:read", "jobs:write"] } }),
      403,
      "missing_scope",
    );
    assert.equal(refused.error.details?.required_scope, "jobs:write");
    assert.match(refused.error.message, /jobs:write/);
    const allowed = await createKey(key, { name: "less", scopes: ["jobs:read"] });
    assert.deepEqual(allowed.api_key.scopes, ["jobs:read"]);
    const patched = await h.call("PATCH", `/v1/keys/${allowed.api_key.id}`, {
      auth: key,
      body: { scopes: ["account:read"] },
    });
    await assertError(patched, 403, "missing_scope");
    const [row] = await h.sql`select scopes from public.api_keys where id = ${allowed.api_key.id}`;
    assert.deepEqual(row.scopes, ["jobs:read"]);
  });

  it("lets a signed-in user give any scope", async () => {
    const user = await h.user();
    const all = ["jobs:read", "jobs:write", "webhooks:manage", "keys:manage", "account:read"];
    assert.deepEqual((await createKey(user.token, { name: "all", scopes: all })).api_key.scopes, all);
  });
});

describe("validation", () => {
  let user: TestUser;
  before(async () => {
    user = await h.user();
  });

  async function invalid(method: string, path: string, body: unknown, fields: string[]) {
    const response = await h.call(method, path, { auth: user.token, body });
    const { error } = await assertError(
      response,
      422,
      "validation_failed",
      `${method} ${path} ${JSON.stringify(body)}`,
    );
    assert.deepEqual(Object.keys(error.details ?? {}).sort(), [...fields].sort(), JSON.stringify(error.details));
    return error;
  }

  it("names each bad field of a new key", async () => {
    const error = await invalid("POST", "/v1/keys", {}, ["name", "scopes"]);
    assert.match(error.message, /^(name|scopes): /);
    await invalid("POST", "/v1/keys", { name: "", scopes: [] }, ["name", "scopes"]);
    await invalid("POST", "/v1/keys", { name: "x".repeat(101), scopes: ["jobs:read"] }, ["name"]);
    const scope = await invalid("POST", "/v1/keys", { name: "k", scopes: ["jobs:read", "root"] }, ["scopes.1"]);
    assert.match(String(scope.details?.["scopes.1"]), /jobs:read, jobs:write/);
    await invalid("POST", "/v1/keys", { name: "k", scopes: ["jobs:read", "jobs:read"] }, ["scopes"]);
    await invalid("POST", "/v1/keys", { name: "k", scopes: ["jobs:read"], rate_limit_per_minute: 0 }, [
      "rate_limit_per_minute",
    ]);
    // A key can only lower its account's budget (600 reads a minute by default), never raise it.
    const raised = await invalid(
      "POST",
      "/v1/keys",
      { name: "k", scopes: ["jobs:read"], rate_limit_per_minute: 100_000 },
      ["rate_limit_per_minute"],
    );
    assert.match(String(raised.details?.rate_limit_per_minute), /at most 600, your account's budget/);
    await invalid("POST", "/v1/keys", { name: "k", scopes: ["jobs:read"], expires_in_days: 1.5 }, ["expires_in_days"]);
    await invalid("POST", "/v1/keys", { name: "k", scopes: ["jobs:read"], expires_at: "tomorrow" }, ["expires_at"]);
    await invalid("POST", "/v1/keys", { name: "k", scopes: ["jobs:read"], expires_at: "2001-01-01T00:00:00Z" }, [
      "expires_at",
    ]);
    await invalid(
      "POST",
      "/v1/keys",
      { name: "k", scopes: ["jobs:read"], expires_in_days: 1, expires_at: "2040-01-01T00:00:00Z" },
      ["expires_at"],
    );
  });

  it("refuses unknown fields, naming the known ones", async () => {
    const error = await invalid("POST", "/v1/keys", { name: "k", scopes: ["jobs:read"], admin: true }, ["(body)"]);
    assert.match(String(error.details?.["(body)"]), /"admin".*name, scopes/);
  });

  it("refuses an empty change, a bad id and malformed JSON", async () => {
    const { api_key } = await createKey(user.token, { name: "k", scopes: ["jobs:read"] });
    await invalid("PATCH", `/v1/keys/${api_key.id}`, {}, ["(body)"]);
    await invalid("PATCH", "/v1/keys/not-a-uuid", { name: "x" }, ["id"]);
    await invalid("DELETE", "/v1/keys/not-a-uuid", undefined, ["id"]);
    const response = await h.call("POST", "/v1/keys", { auth: user.token, body: "{nope" });
    await assertError(response, 400, "invalid_json");
  });

  it("checks limit, cursor and unknown query parameters", async () => {
    await invalid("GET", "/v1/keys?limit=0", undefined, ["limit"]);
    await invalid("GET", "/v1/keys?limit=101", undefined, ["limit"]);
    await invalid("GET", "/v1/keys?limit=ten", undefined, ["limit"]);
    await invalid("GET", "/v1/keys?cursor=garbage", undefined, ["cursor"]);
    await invalid("GET", "/v1/keys?page=2", undefined, ["(body)"]);
  });
});

describe("listing", () => {
  it("pages through keys newest first with a cursor", async () => {
    const user = await h.user();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await createKey(user.token, { name: `k${i}`, scopes: ["jobs:read"] })).api_key.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listKeys(user.token, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      assert.ok(page.data.length <= 2);
      seen.push(...page.data.map((k) => k.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ids.reverse());
    assert.equal((await listKeys(user.token)).data.length, 5);
  });
});

describe("audit log", () => {
  it("records who created, changed and revoked a key, from which address (the gateway's, not a forged one), without secrets", async () => {
    const user = await h.user();
    const headers = { "x-forwarded-for": "203.0.113.7, 10.0.0.1", "cf-connecting-ip": "203.0.113.8" };
    const { key, api_key } = await createKey(user.token, { name: "audited", scopes: ["keys:manage"] }, headers);
    await h.call("PATCH", `/v1/keys/${api_key.id}`, { auth: key, body: { name: "renamed" }, headers });
    await h.call("DELETE", `/v1/keys/${api_key.id}`, { auth: user.token });
    const rows = await h.sql`
      select actor_kind, actor_id, action, target_type, target_id, host(ip) as ip, details
        from public.audit_log where target_id = ${api_key.id} order by id`;
    assert.deepEqual(
      rows.map((r) => [r.actor_kind, r.actor_id, r.action, r.target_type, r.ip]),
      [
        ["user", user.id, "key.created", "api_key", "127.0.0.1"],
        ["api_key", api_key.id, "key.updated", "api_key", "127.0.0.1"],
        ["user", user.id, "key.revoked", "api_key", "127.0.0.1"],
      ],
    );
    assert.equal(rows[0].details.prefix, api_key.prefix);
    assert.deepEqual(rows[0].details.scopes, ["keys:manage"]);
    assert.deepEqual(rows[1].details, { user_id: user.id, changes: { name: "renamed" } });
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(key) && !text.includes(sha256Hex(key)), "a secret in the audit log");
  });

  it("writes no row for a refused change", async () => {
    const a = await h.user();
    const b = await h.user();
    const { api_key } = await createKey(a.token, { name: "a", scopes: ["jobs:read"] });
    await h.call("DELETE", `/v1/keys/${api_key.id}`, { auth: b.token });
    const rows = await h.sql`select action from public.audit_log where target_id = ${api_key.id}`;
    assert.deepEqual(
      rows.map((r) => r.action),
      ["key.created"],
    );
  });
});
