/**
 * `kiln admin grant|revoke <email>` on the local stack's database: the role changes (the API then lets the user
 * in as an admin), one audit row per real change, an unknown email and a bad action are refused.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ApiHarness, startApiHarness } from "../../supabase/functions/api/testing/api_harness.ts";
import { runCli } from "./run_cli.ts";
import { memoryIo } from "./testing/cli_harness.ts";

describe("kiln admin", { timeout: 30_000 }, () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness();
  });
  after(async () => {
    await h?.close();
  });

  const admin = async (...args: string[]) => {
    const io = memoryIo({ SUPABASE_DB_URL: h.target.dbUrl }, process.cwd());
    const code = await runCli(["admin", ...args], io.io);
    return { code, out: io.out(), err: io.err() };
  };
  const auditRows = async (userId: string) =>
    h.sql<{ details: { role: string; by: string } }[]>`
      select details from public.audit_log
       where action = 'account.role_changed' and target_id = ${userId} order by id`;

  test("grant makes an admin once, audited; revoke makes a user again", async () => {
    const user = await h.user();
    assert.equal((await h.call("GET", "/v1/admin/stats", { auth: user.token })).status, 403);

    const granted = await admin("grant", user.email.toUpperCase());
    assert.equal(granted.code, 0, granted.err);
    assert.match(granted.out, /is now an admin/);
    assert.equal((await h.call("GET", "/v1/admin/stats", { auth: user.token })).status, 200);
    const me = (await (await h.call("GET", "/v1/me", { auth: user.token })).json()) as { role: string };
    assert.equal(me.role, "admin");

    const again = await admin("grant", user.email);
    assert.equal(again.code, 0);
    assert.match(again.out, /already was an admin; nothing changed/);
    assert.equal((await auditRows(user.id)).length, 1);

    const revoked = await admin("revoke", user.email);
    assert.equal(revoked.code, 0);
    assert.equal((await h.call("GET", "/v1/admin/stats", { auth: user.token })).status, 403);
    const rows = await auditRows(user.id);
    assert.deepEqual(
      rows.map((r) => r.details.role),
      ["admin", "user"],
    );
    assert.match(rows[0].details.by, /^kiln admin \(/);
  });

  test("an unknown email and a bad action are refused", async () => {
    const unknown = await admin("grant", "nobody@example.test");
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no account has the email nobody@example.test/);
    const bad = await admin("promote", "x@example.test");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown action "promote"/);
    const missing = await admin("grant");
    assert.equal(missing.code, 2);
  });
});
