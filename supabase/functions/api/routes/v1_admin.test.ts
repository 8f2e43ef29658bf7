/**
 * The admin routes through the local stack: only administrators get in; workflows, credits, workers and
 * settings change as asked and each change leaves an audit row; statistics add up.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sha256Hex } from "../../../../shared/sha256_hex.ts";
import { type ApiHarness, startApiHarness, type TestUser } from "../testing/api_harness.ts";

const graph = { "3": { class_type: "KSampler", inputs: { steps: 20, seed: 1 } } };

describe("admin routes", () => {
  let h: ApiHarness;
  let admin: TestUser;
  let user: TestUser;
  const json = async <T = Record<string, unknown>>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const audit = (action: string, target: string) =>
    h.sql<{ actor_kind: string; actor_id: string; details: Record<string, unknown> }[]>`
      select actor_kind, actor_id, details from public.audit_log where action = ${action} and target_id = ${target}`;
  before(async () => {
    h = await startApiHarness();
    admin = await h.user({ admin: true });
    user = await h.user();
  });
  after(() => h.close());

  it("refuses callers who are not administrators, whatever the route", async () => {
    for (const [method, path] of [
      ["GET", "/v1/admin/workflows"],
      ["GET", "/v1/admin/stats"],
      ["GET", "/v1/admin/workers"],
      ["PATCH", "/v1/admin/settings"],
      ["GET", "/v1/admin/settings"],
    ]) {
      const res = await h.call(method, path, { auth: user.token, body: method === "PATCH" ? {} : undefined });
      assert.equal(((await json(res, 403)) as { error: { code: string } }).error.code, "admin_required");
      assert.equal((await h.call(method, path)).status, 401);
    }
  });

  it("creates, reads, lists, updates and deletes workflows, auditing each change", async () => {
    const created = await json<{ id: string; name: string; job_type: string; enabled: boolean }>(
      await h.call("POST", "/v1/admin/workflows", { auth: admin.token, body: { name: "portrait", graph } }),
      201,
    );
    assert.equal(created.job_type, "workflow");
    assert.equal(created.enabled, true);
    const dup = await h.call("POST", "/v1/admin/workflows", { auth: admin.token, body: { name: "portrait", graph } });
    assert.equal(((await json(dup, 409)) as { error: { code: string } }).error.code, "conflict");
    const typo = await h.call("POST", "/v1/admin/workflows", {
      auth: admin.token,
      body: { name: "x", graph, enabld: 1 },
    });
    assert.match(JSON.stringify(await json(typo, 422)), /unknown field/);
    const got = await json<{ graph: unknown }>(
      await h.call("GET", `/v1/admin/workflows/${created.id}`, { auth: admin.token }),
      200,
    );
    assert.deepEqual(got.graph, graph);
    const list = await json<{ data: { id: string }[] }>(
      await h.call("GET", "/v1/admin/workflows", { auth: admin.token }),
      200,
    );
    assert.ok(list.data.some((w) => w.id === created.id));
    const patched = await json<{
      enabled: boolean;
      name: string;
      description: string;
      execution_timeout_seconds: number | null;
    }>(
      await h.call("PATCH", `/v1/admin/workflows/${created.id}`, {
        auth: admin.token,
        body: { enabled: false, description: "off for now", execution_timeout_seconds: 900 },
      }),
      200,
    );
    assert.deepEqual(
      [patched.enabled, patched.name, patched.description, patched.execution_timeout_seconds],
      [false, "portrait", "off for now", 900],
    );
    const tooLong = await h.call("PATCH", `/v1/admin/workflows/${created.id}`, {
      auth: admin.token,
      body: { execution_timeout_seconds: 0 },
    });
    assert.equal(tooLong.status, 422);
    assert.equal((await h.call("DELETE", `/v1/admin/workflows/${created.id}`, { auth: admin.token })).status, 204);
    assert.equal((await h.call("GET", `/v1/admin/workflows/${created.id}`, { auth: admin.token })).status, 404);
    for (const action of ["workflow.created", "workflow.updated", "workflow.deleted"]) {
      const rows = await audit(action, created.id);
      assert.equal(rows.length, 1, action);
      assert.equal(rows[0].actor_id, admin.id);
    }
  });

  it("grants credits with a reason, in the ledger and the audit log", async () => {
    const granted = await json<{ balance: number }>(
      await h.call("POST", "/v1/admin/credits", {
        auth: admin.token,
        body: { user_id: user.id, amount: 500, reason: "Refund for the outage" },
      }),
      201,
    );
    assert.equal(granted.balance, 3500);
    const [entry] = await h.sql`
      select delta, reason, actor_id, note from public.credit_ledger
       where owner_id = ${user.id} order by id desc limit 1`;
    assert.deepEqual(
      { ...entry, delta: Number(entry.delta) },
      {
        delta: 500,
        reason: "admin_grant",
        actor_id: admin.id,
        note: "Refund for the outage",
      },
    );
    const [row] = await audit("credits.granted", user.id);
    assert.deepEqual([row.details.amount, row.details.reason], [500, "Refund for the outage"]);
    const tooMuch = await h.call("POST", "/v1/admin/credits", {
      auth: admin.token,
      body: { user_id: user.id, amount: -10_000, reason: "x" },
    });
    assert.equal(((await json(tooMuch, 402)) as { error: { code: string } }).error.code, "insufficient_credits");
    const nobody = await h.call("POST", "/v1/admin/credits", {
      auth: admin.token,
      body: { user_id: crypto.randomUUID(), amount: 1, reason: "x" },
    });
    await json(nobody, 404);
  });

  it("sets an account's limits, audited: its keys above the new budget are clamped, and say so", async () => {
    const owner = await h.user();
    const make = await h.call("POST", "/v1/keys", {
      auth: owner.token,
      body: { name: "busy", scopes: ["account:read"], rate_limit_per_minute: 500 },
    });
    const { api_key } = await json<{ api_key: { id: string; rate_limit_clamped: boolean } }>(make, 201);
    assert.equal(api_key.rate_limit_clamped, false);

    const path = `/v1/admin/accounts/${owner.id}/limits`;
    const refused = await h.call("PATCH", path, { auth: user.token, body: { rate_limit_read_per_minute: 10 } });
    assert.equal(refused.status, 403);
    const set = await json<Record<string, unknown>>(
      await h.call("PATCH", path, {
        auth: admin.token,
        body: {
          rate_limit_read_per_minute: 100,
          rate_limit_create_per_minute: 5,
          max_active_jobs: 3,
          max_running_jobs: 2,
          queue_weight: 3,
        },
      }),
      200,
    );
    assert.deepEqual(set, {
      user_id: owner.id,
      rate_limit_read_per_minute: 100,
      rate_limit_create_per_minute: 5,
      max_active_jobs: 3,
      max_running_jobs: 2,
      queue_weight: 3,
      effective_rate_limit_per_minute: { read: 100, create: 5 },
      keys_clamped: 1,
    });
    const [row] = await audit("account.limits_updated", owner.id);
    assert.equal(row.actor_id, admin.id);

    const listed = await json<{
      data: { rate_limit_per_minute: number; effective_rate_limit_per_minute: unknown; rate_limit_clamped: boolean }[];
    }>(await h.call("GET", "/v1/keys", { auth: owner.token }), 200);
    assert.deepEqual(listed.data[0].effective_rate_limit_per_minute, { read: 100, create: 5 });
    assert.equal(listed.data[0].rate_limit_clamped, true);
    const me = await json<{ limits: Record<string, unknown> }>(
      await h.call("GET", "/v1/me", { auth: owner.token }),
      200,
    );
    assert.deepEqual(me.limits.account_rate_limit_per_minute, { read: 100, create: 5 });

    const raise = await h.call("PATCH", `/v1/keys/${api_key.id}`, {
      auth: owner.token,
      body: { rate_limit_per_minute: 101 },
    });
    const error = await json<{ error: { code: string; details: Record<string, string> } }>(raise, 422);
    assert.match(error.error.details.rate_limit_per_minute, /at most 100, your account's budget/);

    const back = await json<Record<string, unknown>>(
      await h.call("PATCH", path, { auth: admin.token, body: { rate_limit_read_per_minute: null } }),
      200,
    );
    assert.deepEqual(back.effective_rate_limit_per_minute, { read: 600, create: 5 });
    const missing = await h.call("PATCH", `/v1/admin/accounts/${crypto.randomUUID()}/limits`, {
      auth: admin.token,
      body: { max_active_jobs: 1 },
    });
    assert.equal(missing.status, 404);
  });

  it("creates a worker with a token shown once and stored hashed, lists it, and revokes it", async () => {
    const created = await json<{ token: string; worker: { id: string; token_prefix: string; online: boolean } }>(
      await h.call("POST", "/v1/admin/workers", { auth: admin.token, body: { name: "gpu-1" } }),
      201,
    );
    assert.match(created.token, /^kiln_wk_[A-Za-z0-9]{52}$/);
    assert.equal(created.worker.token_prefix, created.token.slice(0, 20));
    assert.equal(created.worker.online, false);
    const [stored] = await h.sql`select token_hash from public.workers where id = ${created.worker.id}`;
    assert.equal(stored.token_hash, sha256Hex(created.token));
    const listed = await h.call("GET", "/v1/admin/workers", { auth: admin.token });
    const text = await listed.text();
    assert.ok(text.includes(created.worker.id) && !text.includes(created.token), "listed, never with its token");
    const revoked = await json<{ revoked_at: string }>(
      await h.call("DELETE", `/v1/admin/workers/${created.worker.id}`, { auth: admin.token }),
      200,
    );
    assert.ok(revoked.revoked_at);
    const again = await json<{ revoked_at: string }>(
      await h.call("DELETE", `/v1/admin/workers/${created.worker.id}`, { auth: admin.token }),
      200,
    );
    assert.equal(again.revoked_at, revoked.revoked_at, "revoking twice changes nothing");
    const active = await json<{ data: { id: string }[] }>(
      await h.call("GET", "/v1/admin/workers", { auth: admin.token }),
      200,
    );
    assert.ok(!active.data.some((w) => w.id === created.worker.id), "revoked workers are hidden by default");
    assert.equal((await audit("worker.created", created.worker.id)).length, 1);
    assert.equal((await audit("worker.revoked", created.worker.id)).length, 1);
    await json(await h.call("DELETE", `/v1/admin/workers/${crypto.randomUUID()}`, { auth: admin.token }), 404);
  });

  it("switches maintenance on: job creation answers 503 with the reason, until it is switched off", async () => {
    const key = await h.apiKey(user, ["jobs:write"]);
    const job = { type: "txt2img", params: { prompt: "a kiln", width: 512, height: 512, steps: 4 } };
    const on = await json<{ maintenance: { enabled: boolean; reason: string } }>(
      await h.call("PATCH", "/v1/admin/settings", {
        auth: admin.token,
        body: { maintenance: { enabled: true, reason: "Upgrading the database" } },
      }),
      200,
    );
    assert.deepEqual(on.maintenance, { enabled: true, reason: "Upgrading the database" });
    const read = await json<typeof on>(await h.call("GET", "/v1/admin/settings", { auth: admin.token }), 200);
    assert.deepEqual(read, on, "GET answers what PATCH answered");
    const refused = await json<{ error: { code: string; message: string } }>(
      await h.call("POST", "/v1/jobs", { auth: key, body: job }),
      503,
    );
    assert.deepEqual([refused.error.code, refused.error.message], ["maintenance", "Upgrading the database"]);
    await json(
      await h.call("PATCH", "/v1/admin/settings", { auth: admin.token, body: { maintenance: { enabled: false } } }),
      200,
    );
    await json(await h.call("POST", "/v1/jobs", { auth: key, body: job }), 201);
    const [row] = await audit("settings.updated", "maintenance");
    assert.ok(row, "the change is audited");
    await json(await h.call("PATCH", "/v1/admin/settings", { auth: admin.token, body: { maintenace: {} } }), 422);
  });

  it("changes the claim order's settings: fair share, the loaded-model wait, the running cap", async () => {
    const body = { fair_share: false, model_affinity_wait_seconds: 30, max_running_jobs: 4 };
    const changed = await json<Record<string, unknown>>(
      await h.call("PATCH", "/v1/admin/settings", { auth: admin.token, body }),
      200,
    );
    assert.deepEqual(
      [changed.fair_share, changed.model_affinity_wait_seconds, changed.max_running_jobs],
      [false, 30, 4],
    );
    const back = { fair_share: true, model_affinity_wait_seconds: 60, max_running_jobs: 0 };
    await json(await h.call("PATCH", "/v1/admin/settings", { auth: admin.token, body: back }), 200);
    const bad = await h.call("PATCH", "/v1/admin/settings", { auth: admin.token, body: { fair_share: "yes" } });
    await json(bad, 422);
  });

  it("reports jobs by status and type, success rate, percentiles, queue depth and workers online", async () => {
    const owner = await h.user();
    const create = (type: string) =>
      h.sql`select kiln.create_job(p_owner_id => ${owner.id}, p_type => ${type}, p_params => '{}', p_cost => 1)`;
    for (const type of ["stats_a", "stats_a", "stats_b"]) await create(type);
    await h.sql`
      update public.jobs set status = 'succeeded', claimed_at = created_at + interval '2 seconds',
             finished_at = created_at + interval '5 seconds'
       where id = (select id from public.jobs where type = 'stats_a' and owner_id = ${owner.id} limit 1)`;
    const [worker] = await h.sql<{ id: string }[]>`
      insert into public.workers (name, token_prefix, token_hash, job_types, last_seen_at)
      values ('stats', 'kiln_wk_statsstats', ${"0".repeat(64)}, '{stats_a}', now()) returning id`;
    const [running] = await h.sql<{ id: string }[]>`
      update public.jobs set status = 'running', worker_id = ${worker.id}, claimed_at = created_at + interval '2 seconds',
             lease_expires_at = now() + interval '1 minute', fencing_token = 1, attempts = 1
       where id = (select id from public.jobs where type = 'stats_b' and owner_id = ${owner.id}) returning id`;
    const stats = await json<{
      jobs: { by_type: { type: string; total: number; by_status: Record<string, number> }[] };
      success_rate: number;
      queue_wait_ms: { p50: number };
      run_time_ms: { p95: number };
      queue_depth: { queued: number; by_type: { type: string; queued: number; running: number }[] };
      workers: { online: number };
    }>(await h.call("GET", "/v1/admin/stats?window_hours=1", { auth: admin.token }), 200);
    const a = stats.jobs.by_type.find((t) => t.type === "stats_a");
    assert.deepEqual([a?.total, a?.by_status.succeeded, a?.by_status.queued], [2, 1, 1]);
    assert.equal(stats.success_rate, 1);
    assert.equal(stats.queue_wait_ms.p50, 2000);
    assert.equal(stats.run_time_ms.p95, 3000);
    assert.ok(stats.queue_depth.queued >= 1);
    assert.deepEqual(
      stats.queue_depth.by_type.filter((t) => t.type.startsWith("stats_")),
      [
        { type: "stats_a", queued: 1, running: 0 },
        { type: "stats_b", queued: 0, running: 1 },
      ],
    );
    const workers = await json<{ data: { id: string; current_jobs: string[] }[] }>(
      await h.call("GET", "/v1/admin/workers", { auth: admin.token }),
      200,
    );
    assert.deepEqual(workers.data.find((w) => w.id === worker.id)?.current_jobs, [running.id]);
    assert.ok(stats.workers.online >= 1);
    await json(await h.call("GET", "/v1/admin/stats?window_hours=0", { auth: admin.token }), 422);
  });
});
