/**
 * The local stack's Realtime, driven by the official clients: supabase-js (vsn 2.0.0 with binary broadcasts) and
 * realtime-js's RealtimeClient with vsn 1.0.0 and 2.0.0. Private topics, Broadcast from Database, client and REST
 * broadcast, token refresh, and a reconnect after the gateway restarts. Also runs against a real `supabase start`
 * when KILN_SUPABASE_* is set (test users are inserted into auth.users and signed with the local JWT secret, which
 * `supabase start` shares).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import WebSocket from "ws";
import { type StackTarget, stackTargets } from "../../testing/test_stack.ts";
import {
  createUsers,
  Inbox,
  realtimeClient,
  signToken,
  subscribed,
  type TestUser,
  webSocketTransport,
} from "./test_clients.ts";

type Message = { event: string; payload: Record<string, unknown> };

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const { name, start, skip } of stackTargets()) {
  describe(`realtime on ${name}`, { timeout: 120_000, skip }, () => {
    let target: StackTarget;
    let sql: postgres.Sql;
    let alice: TestUser;
    let bob: TestUser;
    const clients: SupabaseClient[] = [];

    before(async () => {
      target = await start();
      sql = postgres(target.dbUrl, { max: 2, onnotice: () => {} });
      [alice, bob] = await createUsers(target.dbUrl, target.url, 2);
    });
    after(async () => {
      for (const c of clients) await c.removeAllChannels();
      await sql?.end({ timeout: 5 });
      await target?.stop();
    });

    /** A supabase-js client, signed in as `user` for Realtime when given. */
    const supabase = async (user?: TestUser): Promise<SupabaseClient> => {
      const client = createClient(target.url, target.anonKey, {
        realtime: { transport: webSocketTransport },
        auth: { persistSession: false, autoRefreshToken: false },
      });
      clients.push(client);
      if (user) await client.realtime.setAuth(user.token);
      return client;
    };
    const send = (payload: object, event: string, topic: string, isPrivate: boolean) =>
      sql`select realtime.send(${sql.json(payload as postgres.JSONValue)}, ${event}, ${topic}, ${isPrivate})`;

    test("a user's private topic gets realtime.send and the job lifecycle's broadcasts", {
      timeout: 15_000,
    }, async () => {
      const client = await supabase(alice);
      const inbox = new Inbox<Message>();
      const channel = client.channel(`user:${alice.id}`, { config: { private: true } });
      channel.on("broadcast", { event: "*" }, inbox.add);
      await subscribed(channel);

      // realtime.send gives a payload without an id the message's own (as hosted does).
      await send({ x: 1 }, "job.updated", `user:${alice.id}`, true);
      const sent = await inbox.next((m) => m.event === "job.updated");
      const { id, ...rest } = sent.payload as { id: string };
      assert.deepEqual(rest, { x: 1 });
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal((sent as { type?: string }).type, "broadcast");

      const [{ job }] = await sql<{ job: { job: { id: string } } }[]>`
      select kiln.create_job(p_owner_id => ${alice.id}, p_type => 'txt2img', p_params => '{}', p_cost => 1) as job`;
      const queued = await inbox.next((m) => m.event === "job.queued");
      assert.equal((queued.payload.job as { id: string }).id, job.job.id);
    });

    test("another user is refused a private topic", { timeout: 15_000 }, async () => {
      const client = await supabase(bob);
      const channel = client.channel(`user:${alice.id}`, { config: { private: true } });
      await assert.rejects(subscribed(channel), /CHANNEL_ERROR.*Unauthorized.*permissions to read.*user:/);
      await client.removeChannel(channel);
    });

    for (const vsn of ["1.0.0", "2.0.0"] as const) {
      test(`realtime-js vsn ${vsn}: private topic, Broadcast from Database`, { timeout: 15_000 }, async () => {
        const client = realtimeClient(target.url, target.anonKey, vsn);
        try {
          await client.setAuth(alice.token);
          const inbox = new Inbox<Message>();
          const channel = client.channel(`user:${alice.id}`, { config: { private: true } });
          channel.on("broadcast", { event: "job.updated" }, inbox.add);
          await subscribed(channel);
          // A payload with an id keeps it.
          await send({ id: `m-${vsn}`, vsn }, "job.updated", `user:${alice.id}`, true);
          assert.deepEqual((await inbox.next()).payload, { id: `m-${vsn}`, vsn });
        } finally {
          await client.removeAllChannels();
        }
      });
    }

    test("a public topic gets public sends only", { timeout: 15_000 }, async () => {
      const client = await supabase();
      const inbox = new Inbox<Message>();
      const channel = client.channel("room:lobby");
      channel.on("broadcast", { event: "news" }, inbox.add);
      await subscribed(channel);
      await send({ n: 1 }, "news", "room:lobby", true);
      await send({ n: 2 }, "news", "room:lobby", false);
      await inbox.next((m) => m.payload.n === 2);
      assert.deepEqual(
        inbox.items.map((m) => m.payload.n),
        [2],
      );
    });

    test("client broadcast across vsns, with self and ack", { timeout: 15_000 }, async () => {
      const sender = await supabase();
      const listener = realtimeClient(target.url, target.anonKey, "1.0.0");
      try {
        const mine = new Inbox<Message>();
        const theirs = new Inbox<Message>();
        const a = sender.channel("room:chat", { config: { broadcast: { self: true, ack: true } } });
        a.on("broadcast", { event: "say" }, mine.add);
        const b = listener.channel("room:chat");
        b.on("broadcast", { event: "say" }, theirs.add);
        await Promise.all([subscribed(a), subscribed(b)]);
        assert.equal(await a.send({ type: "broadcast", event: "say", payload: { text: "hi" } }), "ok");
        assert.deepEqual((await theirs.next()).payload, { text: "hi" });
        assert.deepEqual((await mine.next()).payload, { text: "hi" });

        const back = new Inbox<Message>();
        const c = listener.channel("room:chat2");
        c.on("broadcast", { event: "say" }, back.add);
        const d = sender.channel("room:chat2");
        d.on("broadcast", { event: "say" }, back.add);
        await Promise.all([subscribed(c), subscribed(d)]);
        // Without self, the sender does not hear itself: only d's copy of c's message arrives.
        assert.equal(await c.send({ type: "broadcast", event: "say", payload: { from: "v1" } }), "ok");
        await back.next();
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(back.items.length, 1);
      } finally {
        await listener.removeAllChannels();
      }
    });

    test("a private broadcast no policy allows gets no reply and reaches no one, as on the real server", async () => {
      const client = await supabase(bob);
      const inbox = new Inbox<Message>();
      const channel = client.channel(`user:${bob.id}`, {
        config: { private: true, broadcast: { ack: true, self: true } },
      });
      channel.on("broadcast", { event: "*" }, inbox.add);
      await subscribed(channel);
      // The only way to see "no reply" is the acknowledgement's own timeout, kept short.
      assert.equal(
        await channel.send({ type: "broadcast", event: "spoof", payload: {} }, { timeout: 500 }),
        "timed out",
      );
      await send({ n: 1 }, "after", `user:${bob.id}`, true);
      await inbox.next((m) => m.event === "after");
      assert.equal(
        inbox.items.some((m) => m.event === "spoof"),
        false,
      );
    });

    test("REST broadcast: public for any key, private for service_role or an authorized token", async () => {
      const client = await supabase(alice);
      const inbox = new Inbox<Message>();
      const channel = client.channel(`user:${alice.id}`, { config: { private: true } });
      channel.on("broadcast", { event: "*" }, inbox.add);
      await subscribed(channel);
      const post = (token: string, messages: object[]) =>
        fetch(`${target.url}/realtime/v1/api/broadcast`, {
          method: "POST",
          headers: { apikey: target.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ messages }),
        });
      const topic = `user:${alice.id}`;
      // alice may read her topic but no policy lets her write it: her private message is dropped, still 202.
      const refused = await post(alice.token, [{ topic, event: "spoof", payload: {}, private: true }]);
      assert.equal(refused.status, 202);
      // INSERT on realtime.messages is granted (as hosted); the policies still refuse bob alice's topic.
      const spoofed = await post(bob.token, [{ topic, event: "spoof", payload: { from: "bob" }, private: true }]);
      assert.equal(spoofed.status, 202);
      const accepted = await post(target.serviceRoleKey, [
        { topic, event: "rest", payload: { ok: true }, private: true },
      ]);
      assert.equal(accepted.status, 202);
      assert.deepEqual(await accepted.json(), {});
      assert.deepEqual((await inbox.next((m) => m.event === "rest")).payload, { ok: true });
      assert.equal(
        inbox.items.some((m) => m.event === "spoof"),
        false,
      );

      const bad = await post("not-a-jwt", [{ topic, event: "rest", payload: {}, private: true }]);
      assert.equal(bad.status, 401);
      const invalid = await post(target.serviceRoleKey, [{ topic }]);
      assert.equal(invalid.status, 422);

      const pub = await supabase();
      const lobby = new Inbox<Message>();
      const open = pub.channel("room:rest");
      open.on("broadcast", { event: "ping" }, lobby.add);
      await subscribed(open);
      assert.deepEqual(await open.httpSend("ping", { via: "httpSend" }), { success: true });
      assert.deepEqual((await lobby.next()).payload, { via: "httpSend" });
    });

    test("a socket needs a valid apikey", { timeout: 10_000 }, async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${target.url.replace("http", "ws")}/realtime/v1/websocket?apikey=nope&vsn=1.0.0`);
        ws.on("unexpected-response", (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on("open", () => reject(new Error("connected without a valid apikey")));
        ws.on("error", () => {});
      });
      assert.equal(status, 403);
    });

    test("an expired token closes the channel with a system error", { timeout: 15_000 }, async () => {
      const client = await supabase(alice);
      const system = new Inbox<{ status: string; message: string }>();
      const closed = new Inbox<string>();
      const channel = client.channel(`user:${alice.id}`, { config: { private: true } });
      channel.on("system", {}, system.add);
      await new Promise<void>((resolve, reject) => {
        channel.subscribe((status) => {
          if (status === "SUBSCRIBED") resolve();
          else if (status === "CLOSED") closed.add(status);
          else reject(new Error(status));
        });
      });
      await client.realtime.setAuth(await signToken(target.url, alice.id, -60));
      const error = await system.next();
      assert.equal(error.status, "error");
      assert.match(error.message, /Token has expired/);
      await closed.next();
    });

    test("join options the local stack does not support are refused", {
      timeout: 15_000,
      skip: name !== "local" && "the real server supports them",
    }, async () => {
      const client = await supabase();
      const channel = client.channel("room:changes");
      channel.on("postgres_changes", { event: "*", schema: "public", table: "jobs" }, () => {});
      await assert.rejects(subscribed(channel), /postgres_changes are not supported by the local stack/);
      await client.removeChannel(channel);
    });

    test("supabase-js reconnects after the gateway restarts", {
      timeout: 30_000,
      skip: name !== "local" && "restarts only the local gateway",
    }, async () => {
      const client = await supabase(alice);
      const inbox = new Inbox<Message>();
      const channel = client.channel(`user:${alice.id}`, { config: { private: true } });
      channel.on("broadcast", { event: "after.restart" }, inbox.add);
      await subscribed(channel);
      await target.restart?.();
      // Sent only once the channel is back: messages sent while a client is away are lost (as on Supabase), and on
      // PGlite a query running beside the rejoin's authorization can fail (see embedded_postgres.ts).
      await waitUntil(() => channel.state !== "joined", 10_000);
      await waitUntil(() => channel.state === "joined", 15_000);
      for (let i = 0; inbox.items.length === 0; i++) {
        assert.ok(i < 25, "no broadcast after the restart within 5 s");
        await send({ i }, "after.restart", `user:${alice.id}`, true);
        await inbox.next(() => true, 200).catch(() => undefined);
      }
    });
  });
}
