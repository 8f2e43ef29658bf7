/** Facts about the schema that TypeScript relies on, and the migration runner's promises. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Database } from "../../scripts/db/database.ts";
import { DatabaseNewerThanCodeError, migrate, readMigrations } from "../../scripts/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../../scripts/testing/test_database.ts";
import { SQLSTATE_CODES } from "../../shared/errors.ts";
import { JOB_EVENT_TYPES, JOB_EVENTS, JOB_PHASES, JOB_STATUSES } from "../../shared/job_states.ts";
import { createJob, createUser, createWorker } from "./helpers/fixtures.ts";

let t: TestDatabase;
let db: Database;
before(async () => {
  t = await createTestDatabase();
  db = t.db;
});
after(() => t.drop());

async function enumValues(type: string): Promise<string[]> {
  const rows = await db.query<{ label: string }>(
    "select enumlabel as label from pg_enum where enumtypid = $1::regtype order by enumsortorder",
    [type],
  );
  return rows.map((r) => r.label);
}

/** The SQLSTATE of what `promise` was refused with. */
async function sqlstate(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { code?: string }).code);
  }
  assert.fail("expected the statement to be refused");
}

async function rowCount(sql: string, params: unknown[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return row.n;
}

describe("shared vocabulary", () => {
  it("job_status, job_phase and job_event_type have the values of shared/job_states.ts, in order", async () => {
    assert.deepEqual(await enumValues("public.job_status"), [...JOB_STATUSES]);
    assert.deepEqual(await enumValues("public.job_phase"), [...JOB_PHASES]);
    assert.deepEqual(await enumValues("public.job_event_type"), [...JOB_EVENT_TYPES]);
  });

  it("kiln.job_event_types has the events of shared/job_states.ts, webhook flags included, and job_events only those", async () => {
    const rows = await db.query<{ type: string; webhook: boolean }>(
      "select type::text as type, webhook from kiln.job_event_types order by type::text",
    );
    const mirrored = Object.entries(JOB_EVENTS).map(([type, e]) => ({ type, webhook: e.webhook as boolean }));
    assert.deepEqual(
      rows,
      mirrored.sort((a, b) => a.type.localeCompare(b.type)),
    );
    const owner = await createUser(db);
    const { job } = await createJob(db, owner);
    assert.equal(
      await sqlstate(
        db.query(
          "insert into public.job_events (job_id, owner_id, type, status) values ($1, $2, 'job.exploded', 'queued')",
          [job.id, owner],
        ),
      ),
      "22P02",
    );
  });

  it("gives no API role anything in the kiln schema (its owner alone runs the lifecycle)", async () => {
    for (const role of ["anon", "authenticated", "service_role"]) {
      const [row] = await db.query<{ usage: boolean; functions: number; tables: number }>(
        `select has_schema_privilege($1, 'kiln', 'USAGE') as usage,
                (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                  where n.nspname = 'kiln' and has_function_privilege($1, p.oid, 'EXECUTE')) as functions,
                (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where n.nspname = 'kiln' and c.relkind in ('r', 'p', 'S')
                    and (has_table_privilege($1, c.oid, 'SELECT') or has_table_privilege($1, c.oid, 'INSERT')
                         or has_table_privilege($1, c.oid, 'UPDATE') or has_table_privilege($1, c.oid, 'DELETE'))) as tables`,
        [role],
      );
      assert.deepEqual(row, { usage: false, functions: 0, tables: 0 }, role);
    }
  });

  it("every SQLSTATE the migrations raise is mapped in shared/errors.ts, and every mapped one is raised", async () => {
    const raised = new Set<string>();
    for (const m of await readMigrations()) {
      for (const match of m.sql.matchAll(/errcode\s*=\s*'(KL[0-9A-Z]{3})'/g)) raised.add(match[1]);
    }
    assert.ok(raised.size > 0, "no errcode found in the migrations");
    const mapped = new Set(Object.keys(SQLSTATE_CODES));
    assert.deepEqual([...raised].filter((c) => !mapped.has(c)).sort(), [], "raised but not in SQLSTATE_CODES");
    assert.deepEqual([...mapped].filter((c) => !raised.has(c)).sort(), [], "in SQLSTATE_CODES but never raised");
  });
});

describe("migrate", () => {
  it("applies nothing to a database that is up to date", async () => {
    assert.deepEqual(await migrate(db), []);
  });

  it("refuses a database with a migration this code does not know", async () => {
    const future = "99991231000000";
    await db.query("insert into supabase_migrations.schema_migrations (version, name) values ($1, 'future')", [future]);
    try {
      await assert.rejects(migrate(db), (error: Error) => {
        assert.ok(error instanceof DatabaseNewerThanCodeError, String(error));
        assert.match(error.message, new RegExp(future));
        assert.match(error.message, /newer than the code/);
        return true;
      });
    } finally {
      await db.query("delete from supabase_migrations.schema_migrations where version = $1", [future]);
    }
  });
});

describe("workers", () => {
  it("are never deleted (KL013): revoking keeps the row that jobs name", async () => {
    const worker = await createWorker(db);
    assert.equal(await sqlstate(db.query("delete from public.workers where id = $1", [worker])), "KL013");
    assert.equal(await rowCount("public.workers where id = $1", [worker]), 1);
  });
});

describe("credit ledger", () => {
  it("refuses to update or delete a ledger row (KL011)", async () => {
    const owner = await createUser(db);
    const [{ id }] = await db.query<{ id: number }>("select id from public.credit_ledger where owner_id = $1", [owner]);
    assert.equal(await sqlstate(db.query("update public.credit_ledger set delta = 1 where id = $1", [id])), "KL011");
    assert.equal(await sqlstate(db.query("update public.credit_ledger set note = 'x' where id = $1", [id])), "KL011");
    assert.equal(await sqlstate(db.query("delete from public.credit_ledger where id = $1", [id])), "KL011");
    assert.equal(await rowCount("public.credit_ledger where id = $1 and note is null", [id]), 1);
  });

  it("goes with its account: deleting the auth user removes the profile, jobs and ledger, and no one else's", async () => {
    const gone = await createUser(db);
    const stays = await createUser(db);
    const { job } = await createJob(db, gone, { webhookUrl: "https://hooks.example.test/kiln" });
    await createJob(db, stays);
    const owned = [
      "public.profiles where id = $1",
      "public.jobs where owner_id = $1",
      "public.credit_ledger where owner_id = $1",
      "public.job_events where owner_id = $1",
      "public.webhook_deliveries where owner_id = $1",
    ];
    for (const sql of owned) assert.ok((await rowCount(sql, [gone])) > 0, `no rows to cascade in ${sql}`);
    const kept = await Promise.all(owned.map((sql) => rowCount(sql, [stays])));

    await db.query("delete from auth.users where id = $1", [gone]);
    for (const sql of owned) assert.equal(await rowCount(sql, [gone]), 0, `left behind: ${sql}`);
    assert.equal(await rowCount("public.jobs where id = $1", [job.id]), 0);
    assert.deepEqual(await Promise.all(owned.map((sql) => rowCount(sql, [stays]))), kept);
  });
});

describe("security", () => {
  it("no kiln function is executable by PUBLIC, anon or authenticated", async () => {
    const open = await db.query<{ grant: string }>(
      `select format('%s to %s', p.oid::regprocedure, string_agg(r.role, ', ')) as grant
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        cross join unnest(array['public', 'anon', 'authenticated']) as r(role)
        where n.nspname = 'kiln' and has_function_privilege(r.role, p.oid, 'execute')
        group by p.oid order by 1`,
    );
    assert.deepEqual(
      open.map((r) => r.grant),
      [],
    );
  });

  it("every kiln function pins search_path to ''", async () => {
    const functions = await db.query<{ fn: string; config: string[] | null }>(
      `select p.oid::regprocedure::text as fn, p.proconfig as config
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'kiln'`,
    );
    assert.ok(functions.length > 0);
    const unpinned = functions.filter((f) => !f.config?.includes('search_path=""')).map((f) => f.fn);
    assert.deepEqual(unpinned, []);
  });
});
