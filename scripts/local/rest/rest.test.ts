/**
 * Reads the way Supabase frontends read: `supabase.from(table).select(…)` with filters, order, ranges, counts,
 * embedded counts, single() and maybeSingle(), as the signed-in user under RLS; PostgREST's errors for what a role
 * may not read or write and for unknown tables. Runs on the local stack, and on a real `supabase start` when
 * KILN_SUPABASE_* name one.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { type StackTarget, stackTargets } from "../../testing/test_stack.ts";
import { createUsers, type TestUser, webSocketTransport } from "../realtime/test_clients.ts";

for (const { name, start, skip } of stackTargets()) {
  describe(`PostgREST reads (${name})`, { skip }, () => {
    let target: StackTarget;
    let sql: postgres.Sql;
    let alice: TestUser;
    let bob: TestUser;
    const jobs: string[] = [];

    before(async () => {
      target = await start();
      sql = postgres(target.dbUrl, { max: 2, onnotice: () => {} });
      [alice, bob] = await createUsers(target.dbUrl, target.url, 2);
      for (const [owner, prompt] of [
        [alice.id, "one"],
        [alice.id, "two"],
        [alice.id, "three"],
        [bob.id, "bob's"],
      ]) {
        const [{ result }] = await sql<{ result: { job: { id: string } } }[]>`
          select kiln.create_job(p_owner_id => ${owner}, p_type => 'txt2img',
                                 p_params => ${sql.json({ prompt })}, p_cost => 1) as result`;
        if (owner === alice.id) jobs.push(result.job.id);
      }
    });
    after(async () => {
      await sql?.end({ timeout: 5 });
      await target?.stop();
    });

    const client = (token?: string): SupabaseClient =>
      createClient(target.url, target.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
        global: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
        realtime: { transport: webSocketTransport },
      });

    it("lists the user's own rows with filters, order, a range and the exact count", async () => {
      const { data, error, count } = await client(alice.token)
        .from("jobs")
        .select("id, status, params", { count: "exact" })
        .eq("status", "queued")
        .order("created_at", { ascending: false })
        .range(0, 1);
      assert.equal(error, null);
      assert.equal(count, 3, "bob's job is not counted: RLS");
      assert.deepEqual(
        data?.map((j) => (j.params as { prompt: string }).prompt),
        ["three", "two"],
      );
      const inList = await client(alice.token).from("jobs").select("id").in("id", [jobs[0], jobs[2]]);
      assert.deepEqual(inList.data?.map((j) => j.id).sort(), [jobs[0], jobs[2]].sort());
      const neq = await client(alice.token).from("jobs").select("id").neq("id", jobs[0]).is("deadline", null);
      assert.equal(neq.data?.length, 2);
    });

    it("counts related rows where a foreign key or a computed relationship joins the tables, and answers single() and maybeSingle()", async () => {
      // jobs → job_events through a computed relationship (a function named after the related table), jobs →
      // webhook_deliveries through a foreign key.
      const one = await client(alice.token)
        .from("jobs")
        .select("id, job_events(count), webhook_deliveries(count)")
        .eq("id", jobs[0])
        .single();
      assert.equal(one.error, null);
      assert.deepEqual(one.data, { id: jobs[0], job_events: [{ count: 1 }], webhook_deliveries: [{ count: 0 }] });
      const none = await client(alice.token).from("jobs").select("id").eq("id", bob.id).single();
      assert.equal(none.error?.code, "PGRST116");
      assert.equal(none.status, 406);
      const maybe = await client(alice.token).from("jobs").select("id").eq("id", bob.id).maybeSingle();
      assert.deepEqual([maybe.data, maybe.error], [null, null]);
      const head = await client(alice.token).from("jobs").select("*", { count: "exact", head: true });
      assert.equal(head.count, 3);
    });

    it("refuses what the role may not read or write, and unknown tables and columns, in PostgREST's shape", async () => {
      const anon = await client().from("jobs").select("id");
      assert.equal(anon.error?.code, "42501");
      assert.equal(anon.status, 401);
      const write = await client(alice.token).from("jobs").insert({ type: "txt2img" });
      assert.equal(write.error?.code, "42501");
      assert.equal(write.status, 403);
      const missing = await client(alice.token).from("no_such_table").select("*");
      assert.equal(missing.error?.code, "PGRST205");
      assert.equal(missing.status, 404);
      const column = await client(alice.token).from("jobs").select("no_such_column");
      assert.equal(column.error?.code, "42703");
      const bad = await client("not-a-jwt").from("jobs").select("id");
      assert.equal(bad.status, 401);
    });
  });
}
