/**
 * The migration's policy on realtime.messages: created by whoever may (the owner here; hosted, `postgres` through
 * supautils' policy_grants), and where the role may not, the migration stops with the cause and the way out named
 * instead of PostgreSQL's bare "must be owner of table messages". Runs the very block of the migration file.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { createTestDatabase, rolledBack, type TestDatabase } from "../../scripts/testing/test_database.ts";

const MIGRATION = new URL("../migrations/20261123000700_job_notifications.sql", import.meta.url);
const POLICY = '"Users can receive their own job updates"';

describe("the realtime.messages policy migration", () => {
  let t: TestDatabase;
  let block: string;
  before(async () => {
    t = await createTestDatabase();
    const sql = await readFile(MIGRATION, "utf8");
    const found = /do \$\$\nbegin\n {2}create policy "Users can receive their own job updates"[\s\S]*?\nend \$\$;/.exec(
      sql,
    );
    assert.ok(found, "the migration creates the policy in one do block");
    block = found[0];
  });
  after(async () => {
    await t?.drop();
  });

  it("creates the policy as a role that may", async () => {
    const rows = await rolledBack(t.db, async (tx) => {
      await tx.exec(`drop policy ${POLICY} on realtime.messages; ${block}`);
      return tx.query("select 1 from pg_policies where schemaname = 'realtime' and tablename = 'messages'");
    });
    assert.equal((rows as unknown[]).length, 1);
  });

  it("names the cause and the way out where the role may not", async () => {
    const error = (await rolledBack(t.db, async (tx) => {
      await tx.exec(`drop policy ${POLICY} on realtime.messages;
        create role kiln_policy_probe nologin; grant usage on schema realtime to kiln_policy_probe;
        set local role kiln_policy_probe`);
      await tx.exec(block);
    })) as { message: string } | undefined;
    assert.ok(error instanceof Error, "the block fails");
    assert.match(error.message, /Kiln cannot create its policy on realtime\.messages as role kiln_policy_probe/);
    assert.match(error.message, /must be owner/);
  });
});
