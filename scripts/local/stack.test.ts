/**
 * The local stack end to end through supabase-js, as a frontend uses it: sign up, call a function with the
 * session, and get the owner's job updates on the private Realtime topic. Per-service suites sit beside each
 * service (auth/, realtime/, storage/).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { type StackTarget, startLocalTarget } from "../testing/test_stack.ts";
import { Inbox, subscribed, webSocketTransport } from "./realtime/test_clients.ts";

describe("local stack through supabase-js", () => {
  let target: StackTarget;
  let supabase: SupabaseClient;
  let sql: postgres.Sql;
  before(async () => {
    target = await startLocalTarget();
    sql = postgres(target.dbUrl, { max: 1, onnotice: () => {} });
    supabase = createClient(target.url, target.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: webSocketTransport },
    });
  });
  after(async () => {
    await supabase.removeAllChannels();
    await sql.end();
    await target.stop();
  });

  it("signs up, then calls the api function with the session", async () => {
    const email = `stack-${Date.now()}@example.test`;
    const { data, error } = await supabase.auth.signUp({ email, password: "correct horse battery" });
    assert.equal(error, null);
    assert.ok(data.session, "auto-confirmed signup returns a session");
    const { data: me, error: callError } = await supabase.functions.invoke("api/v1/me", { method: "GET" });
    assert.equal(callError, null);
    assert.equal(me.email, email);
    assert.equal(me.credits, 3000);
    assert.equal(me.principal.kind, "user");
  });

  it("delivers the signed-in user's job updates on their private topic", async () => {
    const { data } = await supabase.auth.getUser();
    const userId = data.user?.id as string;
    const { data: session } = await supabase.auth.getSession();
    await supabase.realtime.setAuth(session.session?.access_token as string);
    const inbox = new Inbox<{ type: string; job: { id: string; status: string } }>();
    const channel = supabase
      .channel(`user:${userId}`, { config: { private: true } })
      .on("broadcast", { event: "job.queued" }, (message) => inbox.add(message.payload as never));
    await subscribed(channel);
    const [{ result }] = await sql`
      select kiln.create_job(p_owner_id => ${userId}, p_type => 'txt2img', p_params => '{"prompt":"x"}', p_cost => 5) as result`;
    const update = await inbox.next((m) => m.job.id === result.job.id, 5000);
    assert.equal(update.type, "job.queued");
    assert.equal(update.job.id, result.job.id);
    assert.equal(update.job.status, "queued");
  });
});
