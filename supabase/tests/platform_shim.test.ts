/**
 * The platform shim against the hosted facts it imitates (scripts/db/hosted_platform.ts): signatures, columns,
 * defaults, indexes, partitioning, triggers, role attributes, grants, RLS. Then the behaviours that flip outcomes:
 * realtime.send never raises and sets realtime.topic; storage tables refuse direct deletes except to the Storage
 * service; auth.users needs an id and keeps emails unique among non-SSO users.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import postgres from "postgres";
import {
  HOSTED_COLUMNS,
  HOSTED_FUNCTIONS,
  HOSTED_GRANTS,
  HOSTED_NO_DEFAULT,
  HOSTED_PARTITIONED,
  HOSTED_RLS,
  HOSTED_ROLES,
  HOSTED_TRIGGERS,
  HOSTED_UNIQUE_INDEXES,
} from "../../scripts/db/hosted_platform.ts";
import { FUNCTIONS_ROLE, functionsDatabaseUrl } from "../../scripts/db/migrate.ts";
import {
  createTestDatabase,
  rolledBack,
  type TestDatabase,
  testServerUrl,
} from "../../scripts/testing/test_database.ts";

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.drop());

const query = <T>(sql: string, params: unknown[] = []) => t.db.query<T>(sql, params);

describe("the shim has the hosted definitions", () => {
  it("functions, with their results", async () => {
    const rows = await query<{ signature: string; result: string }>(
      `select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as signature,
              pg_get_function_result(p.oid) as result
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('auth', 'realtime', 'storage')`,
    );
    // Identity arguments print names too ("payload jsonb"): compare by types.
    const found = new Map(
      rows.map((r) => [r.signature.replace(/\(([^)]*)\)/, (_, a: string) => `(${typeList(a)})`), r.result]),
    );
    for (const [signature, result] of Object.entries(HOSTED_FUNCTIONS)) {
      assert.equal(found.get(signature), result, signature);
    }
  });

  it("columns, with their types", async () => {
    for (const [table, columns] of Object.entries(HOSTED_COLUMNS)) {
      const rows = await query<{ name: string; type: string }>(
        `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
           from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped`,
        [table],
      );
      const found = Object.fromEntries(rows.map((r) => [r.name, r.type]));
      for (const [column, type] of Object.entries(columns)) assert.equal(found[column], type, `${table}.${column}`);
    }
  });

  it("no default where hosted has none, unique indexes, partitioning, triggers", async () => {
    for (const column of HOSTED_NO_DEFAULT) {
      const [schema, table, name] = column.split(".");
      const [row] = await query<{ def: string | null }>(
        "select column_default as def from information_schema.columns where table_schema = $1 and table_name = $2 and column_name = $3",
        [schema, table, name],
      );
      assert.equal(row.def, null, column);
    }
    for (const [index, definition] of Object.entries(HOSTED_UNIQUE_INDEXES)) {
      const [schema, name] = index.split(".");
      const [row] = await query<{ def: string }>(
        "select indexdef as def from pg_indexes where schemaname = $1 and indexname = $2",
        [schema, name],
      );
      assert.ok(row?.def.includes("UNIQUE INDEX") && row.def.endsWith(definition), `${index}: ${row?.def}`);
    }
    for (const [table, key] of Object.entries(HOSTED_PARTITIONED)) {
      const [row] = await query<{ key: string }>("select pg_get_partkeydef($1::regclass) as key", [table]);
      assert.equal(row.key, key, table);
    }
    for (const [trigger, fn] of Object.entries(HOSTED_TRIGGERS)) {
      const [schema, table, name] = trigger.split(".");
      const [row] = await query<{ fn: string }>(
        `select tp.tgfoid::regproc::text as fn from pg_trigger tp
          where tp.tgrelid = ($1 || '.' || $2)::regclass and tp.tgname = $3`,
        [schema, table, name],
      );
      assert.equal(row?.fn, fn, trigger);
    }
  });

  it("role attributes, grants and RLS", async () => {
    for (const [role, attributes] of Object.entries(HOSTED_ROLES)) {
      const [row] = await query<typeof attributes>(
        `select rolinherit as inherit, rolbypassrls as bypassrls, rolsuper as superuser, rolcanlogin as login
           from pg_roles where rolname = $1`,
        [role],
      );
      assert.deepEqual(row, attributes, role);
    }
    for (const [table, byRole] of Object.entries(HOSTED_GRANTS)) {
      for (const [role, privileges] of Object.entries(byRole)) {
        for (const privilege of privileges) {
          const [row] = await query<{ ok: boolean }>("select has_table_privilege($1, $2, $3) as ok", [
            role,
            table,
            privilege,
          ]);
          assert.equal(row.ok, true, `${role} ${privilege} on ${table}`);
        }
      }
    }
    for (const table of HOSTED_RLS) {
      const [row] = await query<{ rls: boolean }>(
        "select relrowsecurity as rls from pg_class where oid = $1::regclass",
        [table],
      );
      assert.equal(row.rls, true, table);
    }
  });
});

describe("the functions' role, as hosted postgres", {
  skip: testServerUrl() ? false : "PGlite is one session as its superuser",
}, () => {
  it("owns Kiln's objects, is no superuser, bypasses RLS, and is who the functions' URL connects as", async () => {
    const [owners] = await query<{ owners: string[] }>(
      `select array_agg(distinct pg_get_userbyid(c.relowner)) as owners
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('kiln', 'public') and c.relkind in ('r', 'S', 'v')`,
    );
    assert.deepEqual(owners.owners, [FUNCTIONS_ROLE]);
    const sql = postgres(functionsDatabaseUrl(t.url as string, "postgres"), { max: 1, onnotice: () => {} });
    try {
      const [me] = await sql<{ user: string; superuser: boolean; bypassrls: boolean }[]>`
        select current_user as user, rolsuper as superuser, rolbypassrls as bypassrls
          from pg_roles where rolname = current_user`;
      assert.deepEqual({ ...me }, { user: FUNCTIONS_ROLE, superuser: false, bypassrls: true });
      // What only a superuser may do is refused to it, as to hosted postgres.
      await assert.rejects(sql`alter system set work_mem = '8MB'`, /must be superuser|permission denied/);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});

describe("the shim behaves as hosted", () => {
  it("realtime.send never raises: with no partition for the row, the message is dropped and the transaction goes on", async () => {
    const outcome = await rolledBack(t.db, async (tx) => {
      // No partition holds today's rows once they are detached: the insert fails inside send().
      const [today] = await tx.query<{ name: string }>(
        "select 'messages_' || to_char((now() at time zone 'utc')::date, 'YYYY_MM_DD') as name",
      );
      await tx.exec(`alter table realtime.messages detach partition realtime.${today.name}`);
      await tx.query("select realtime.send('{\"a\":1}', 'e', 'topic:dropped', false)");
      return tx.query<{ n: number }>("select count(*)::int as n from realtime.messages where topic = 'topic:dropped'");
    });
    assert.deepEqual(outcome, [{ n: 0 }]);
  });

  it("realtime.send sets realtime.topic for the transaction and gives the payload the message id", async () => {
    const outcome = (await rolledBack(t.db, async (tx) => {
      await tx.query("select realtime.send('{\"a\":1}', 'e', 'topic:kept', true)");
      const [setting] = await tx.query<{ topic: string }>("select current_setting('realtime.topic') as topic");
      const [message] = await tx.query<{ id: string; payload: { id: string; a: number } }>(
        "select id, payload from realtime.messages where topic = 'topic:kept'",
      );
      return { setting, message };
    })) as { setting: { topic: string }; message: { id: string; payload: { id: string; a: number } } };
    assert.equal(outcome.setting.topic, "topic:kept");
    assert.deepEqual(outcome.message.payload, { a: 1, id: outcome.message.id });
  });

  it("storage tables refuse a direct delete, and let the Storage service's delete through", async () => {
    const refused = (await rolledBack(t.db, (tx) =>
      tx.query("delete from storage.objects where bucket_id = 'none'"),
    )) as {
      message: string;
      code: string;
    };
    assert.equal(refused.code, "42501");
    assert.match(refused.message, /Direct deletion from storage tables is not allowed\. Use the Storage API instead\./);
    assert.equal(
      ((await rolledBack(t.db, (tx) => tx.query("delete from storage.buckets where id = 'none'"))) as { code: string })
        .code,
      "42501",
    );
    const allowed = await rolledBack(t.db, async (tx) => {
      await tx.query("select set_config('storage.allow_delete_query', 'true', true)");
      return tx.query("delete from storage.objects where bucket_id = 'none' returning id");
    });
    assert.deepEqual(allowed, []);
  });

  it("auth.users needs an id, and an email is unique among non-SSO users only", async () => {
    const noId = (await rolledBack(t.db, (tx) =>
      tx.query("insert into auth.users (email) values ('x@example.test')"),
    )) as {
      code: string;
    };
    assert.equal(noId.code, "23502");
    const email = `${randomUUID()}@example.test`;
    const twice = (await rolledBack(t.db, async (tx) => {
      await tx.query("insert into auth.users (id, email) values ($1, $2)", [randomUUID(), email]);
      await tx.query("insert into auth.users (id, email, is_sso_user) values ($1, $2, true)", [randomUUID(), email]);
      await tx.query("insert into auth.users (id, email) values ($1, $2)", [randomUUID(), email]);
    })) as { code: string; constraint?: string };
    assert.equal(twice.code, "23505");
  });
});

/** "payload jsonb, event text" → "jsonb, text". */
function typeList(args: string): string {
  return args
    .split(",")
    .map((a) => a.trim().split(/\s+/).slice(1).join(" ") || a.trim())
    .filter(Boolean)
    .join(", ");
}
