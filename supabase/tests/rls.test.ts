/**
 * Row Level Security and grants, checked the way PostgREST and Realtime meet them: inside a transaction, with
 * `request.jwt.claims` set and the role switched to `authenticated` or `anon`.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Database, Queryable } from "../../scripts/db/database.ts";
import { createTestDatabase, type TestDatabase } from "../../scripts/testing/test_database.ts";
import { createJob, createUser } from "./helpers/fixtures.ts";

let t: TestDatabase;
let db: Database;
let a: string;
let b: string;

/** Every table a signed-in user may read, each with a column to try writing and an owner column. */
const ownedTables = [
  { table: "public.jobs", owner: "owner_id", set: "priority = 100" },
  { table: "public.job_events", owner: "owner_id", set: "data = '{}'" },
  { table: "public.api_keys", owner: "owner_id", set: "revoked_at = null" },
  { table: "public.webhook_endpoints", owner: "owner_id", set: "url = 'https://evil.example'" },
  { table: "public.webhook_deliveries", owner: "owner_id", set: "attempts = 0" },
  { table: "public.webhook_attempts", owner: "owner_id", set: "succeeded = true" },
  { table: "public.credit_ledger", owner: "owner_id", set: "delta = 1000000" },
  { table: "public.profiles", owner: "id", set: "credits = 1000000, role = 'admin'" },
] as const;

/** Readable columns of each table, since `select *` would touch the secret columns. */
const readable: Record<string, string> = {
  "public.api_keys": "id, owner_id, name, prefix, scopes",
  "public.webhook_endpoints": "id, owner_id, url, events",
};

/** Runs `fn` as PostgREST would for a request with these claims (null: no JWT, the `anon` role). */
async function as<T>(user: string | null, fn: (tx: Queryable) => Promise<T>, topic?: string): Promise<T> {
  return db.transaction(async (tx) => {
    const claims = user ? { sub: user, role: "authenticated" } : { role: "anon" };
    await tx.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify(claims)]);
    if (topic) await tx.query("select set_config('realtime.topic', $1, true)", [topic]);
    await tx.exec(`set local role ${user ? "authenticated" : "anon"}`);
    return fn(tx);
  });
}

/** Asserts that `promise` fails with insufficient_privilege (42501), and a message matching `message`. */
async function denied(promise: Promise<unknown>, what: string, message = /permission denied/): Promise<void> {
  await assert.rejects(promise, (error: { code?: string; message?: string }) => {
    assert.equal(error.code, "42501", `${what}: expected 42501, got ${String(error)}`);
    assert.match(error.message ?? "", message, what);
    return true;
  });
}

/** Asserts that a write is refused (42501) or touches no row. */
async function writeRefused(user: string, sql: string, params: unknown[] = []): Promise<void> {
  try {
    const rows = await as(user, (tx) => tx.query(`${sql} returning 1`, params));
    assert.equal(rows.length, 0, `${sql} changed ${rows.length} rows`);
  } catch (error) {
    assert.equal((error as { code?: string }).code, "42501", `${sql}: ${String(error)}`);
  }
}

async function count(tx: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await tx.query<{ n: number }>(`select count(*)::int as n from (${sql}) s`, params);
  return row.n;
}

/** A's and B's rows in every owned table, counted by the superuser. */
async function ownedCounts(): Promise<number[]> {
  const counts: number[] = [];
  for (const { table, owner } of ownedTables) {
    counts.push(await count(db, `select 1 from ${table} where ${owner} = any($1)`, [[a, b]]));
  }
  return counts;
}

/** One of each row a user can own: a job (with its events, ledger, deliveries), an API key, an endpoint. */
async function seed(owner: string): Promise<void> {
  await db.query("insert into public.webhook_endpoints (owner_id, url, secret, events) values ($1, $2, $3, $4)", [
    owner,
    "https://hooks.example.test/kiln",
    `whsec_${randomBytes(16).toString("hex")}`,
    ["*"],
  ]);
  await db.query(
    "insert into public.api_keys (owner_id, name, prefix, secret_hash, scopes) values ($1, $2, $3, $4, $5)",
    [owner, "ci", `kiln_sk_${randomBytes(6).toString("hex")}`, randomBytes(32).toString("hex"), ["jobs:read"]],
  );
  await createJob(db, owner);
  await db.query(
    `insert into public.webhook_attempts (delivery_id, owner_id, attempt, started_at, response_code, succeeded)
     select d.id, d.owner_id, 1, now(), 500, false from public.webhook_deliveries d where d.owner_id = $1`,
    [owner],
  );
}

async function workflow(owner: string | null, enabled: boolean): Promise<string> {
  const [{ id }] = await db.query<{ id: string }>(
    "insert into public.workflows (owner_id, name, graph, enabled) values ($1, $2, '{}'::jsonb, $3) returning id",
    [owner, `wf-${randomBytes(4).toString("hex")}`, enabled],
  );
  return id;
}

before(async () => {
  t = await createTestDatabase();
  db = t.db;
  a = await createUser(db);
  b = await createUser(db);
  await seed(a);
  await seed(b);
});
after(() => t.drop());

describe("a signed-in user reads", () => {
  it("their own rows of every owned table, and nothing of another user", async () => {
    for (const { table, owner } of ownedTables) {
      const columns = readable[table] ?? "*";
      const rows = await as(a, (tx) => tx.query<Record<string, string>>(`select ${columns} from ${table}`));
      assert.ok(rows.length > 0, `${table}: A sees none of A's rows`);
      assert.deepEqual([...new Set(rows.map((r) => r[owner]))], [a], `${table}: A sees rows of another owner`);
      const all = await count(db, `select 1 from ${table} where ${owner} = $1`, [a]);
      assert.equal(rows.length, all, `${table}: A sees only part of A's rows`);
    }
  });

  it("global enabled workflows and their own, not another user's nor disabled global ones", async () => {
    const global = await workflow(null, true);
    const disabled = await workflow(null, false);
    const mine = await workflow(a, true);
    const theirs = await workflow(b, true);
    const seen = (await as(a, (tx) => tx.query<{ id: string }>("select id from public.workflows"))).map((r) => r.id);
    assert.ok(seen.includes(global) && seen.includes(mine), "A misses a global or own workflow");
    assert.ok(!seen.includes(disabled), "A sees a disabled global workflow");
    assert.ok(!seen.includes(theirs), "A sees B's workflow");
  });

  it("only their own Realtime topic", async () => {
    const messages = "select 1 from realtime.messages where topic = $1";
    assert.ok((await as(a, (tx) => count(tx, messages, [`user:${a}`]), `user:${a}`)) > 0, "A cannot read user:A");
    assert.equal(await as(a, (tx) => count(tx, "select 1 from realtime.messages"), `user:${b}`), 0);
    assert.equal(await as(a, (tx) => count(tx, "select 1 from realtime.messages")), 0, "no topic set");
  });
});

describe("security", () => {
  it("a signed-in user cannot read API key hashes nor webhook secrets", async () => {
    await denied(
      as(a, (tx) => tx.query("select secret_hash from public.api_keys")),
      "api_keys.secret_hash",
    );
    await denied(
      as(a, (tx) => tx.query("select * from public.api_keys")),
      "api_keys.*",
    );
    await denied(
      as(a, (tx) => tx.query("select secret from public.webhook_endpoints")),
      "webhook_endpoints.secret",
    );
    await denied(
      as(a, (tx) => tx.query("select previous_secret from public.webhook_endpoints")),
      "webhook_endpoints.previous_secret",
    );
  });

  it("a signed-in user cannot insert, update or delete any owned table", async () => {
    const before = await ownedCounts();
    const [{ credits }] = await db.query<{ credits: number }>("select credits from public.profiles where id = $1", [a]);
    for (const { table, owner, set } of ownedTables) {
      // A new profile must not collide with A's; the other tables get a row owned by A.
      await writeRefused(a, `insert into ${table} (${owner}) values ($1)`, [owner === "id" ? randomUUID() : a]);
      await writeRefused(a, `update ${table} set ${set} where ${owner} = $1`, [a]);
      await writeRefused(a, `update ${table} set ${set} where ${owner} = $1`, [b]);
      await writeRefused(a, `delete from ${table} where ${owner} = $1`, [a]);
      await writeRefused(a, `delete from ${table} where ${owner} = $1`, [b]);
    }
    assert.deepEqual(await ownedCounts(), before, "a write went through");
    const [after] = await db.query<{ credits: number; role: string }>(
      "select credits, role from public.profiles where id = $1",
      [a],
    );
    assert.deepEqual(after, { credits, role: "user" });
  });

  it("a signed-in user cannot call kiln functions nor read kiln tables", async () => {
    const calls = [
      ["select kiln.post_credits($1, 1000000, 'admin_grant')", [a]],
      ["select kiln.create_job($1, 'txt2img', '{}', 0)", [a]],
      ["select kiln.setting('maintenance')", []],
      ["select * from kiln.settings", []],
    ] as const;
    for (const [sql, params] of calls) {
      // Refused at the schema, before any grant on the function or table is even looked at.
      await denied(
        as(a, (tx) => tx.query(sql, [...params])),
        sql,
        /permission denied for schema kiln/,
      );
    }
  });

  it("workers and the audit log are invisible to signed-in users", async () => {
    await db.query(
      "insert into public.audit_log (actor_kind, actor_id, action) values ('user', $1, 'api_key.created')",
      [a],
    );
    for (const table of ["public.workers", "public.audit_log"]) {
      await denied(
        as(a, (tx) => tx.query(`select id from ${table}`)),
        table,
      );
    }
  });

  it("anon reads nothing from any table", async () => {
    const tables = await db.query<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('public', 'kiln', 'realtime') and c.relkind in ('r', 'p', 'v', 'm')`,
    );
    assert.ok(tables.length >= 10);
    for (const { name } of tables) {
      try {
        assert.equal(await as(null, (tx) => count(tx, `select 1 from ${name}`)), 0, `anon reads ${name}`);
      } catch (error) {
        assert.equal((error as { code?: string }).code, "42501", `${name}: ${String(error)}`);
      }
    }
  });

  it("every table in public and kiln has row level security enabled", async () => {
    const unguarded = await db.query<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('public', 'kiln') and c.relkind in ('r', 'p') and not c.relrowsecurity`,
    );
    assert.deepEqual(unguarded, []);
  });
});
