/**
 * supabase/schema.sql is the schema the migrations make: regenerated from a freshly migrated database and
 * compared line by line, so a migration that lands without `npm run db:schema` fails here, and a reviewer reads
 * the current schema in one file.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { dumpSchema, schemaFile } from "../../scripts/db/schema_dump.ts";
import { createTestDatabase, type TestDatabase, testServerUrl } from "../../scripts/testing/test_database.ts";

describe("supabase/schema.sql", { skip: testServerUrl() ? false : "pg_dump needs a PostgreSQL server" }, () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(async () => {
    await t?.drop();
  });

  it("is what the migrations make (run `npm run db:schema` after changing them)", async () => {
    const committed = (await readFile(schemaFile, "utf8")).split("\n");
    const current = (await dumpSchema(t.url as string)).split("\n");
    const first = current.findIndex((line, i) => line !== committed[i]);
    assert.equal(
      first,
      committed.length === current.length ? -1 : Math.min(committed.length, current.length),
      first < 0
        ? ""
        : `first difference at line ${first + 1}: ${JSON.stringify(committed[first])} ≠ ${JSON.stringify(current[first])}`,
    );
    assert.deepEqual(current, committed);
  });

  it("holds the current definitions and what Kiln adds to the platform's tables", async () => {
    const text = await readFile(schemaFile, "utf8");
    assert.match(text, /CREATE FUNCTION kiln\.create_job\(/);
    assert.match(text, /CREATE TRIGGER kiln_100_create_profile AFTER INSERT ON auth\.users/);
    assert.match(text, /CREATE POLICY "Users can receive their own job updates" ON realtime\.messages/);
    assert.doesNotMatch(text, /CREATE TABLE auth\.users/, "the platform shim is left out");
  });
});
