/**
 * The dispatch function as Supabase serves it, through the local stack's gateway: its own secret check, the run
 * route, kicks, and the loop the local stack runs in place of pg_cron. Receivers are real, on loopback.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import postgres from "postgres";
import { type Stack, startStack } from "../../../scripts/local/stack.ts";
import { createTestDatabase, type TestDatabase, testServerUrl } from "../../../scripts/testing/test_database.ts";
import { kickDispatch } from "../_shared/dispatch_kick.ts";
import { startReceiver, type WebhookReceiver } from "./testing/webhook_receiver.ts";

/** A local stack on a database of its own (a clone on the server, or an in-memory PGlite). */
async function stackOnOwnDatabase(
  dispatchLoop: boolean,
): Promise<{ stack: Stack; sql: postgres.Sql; stop(): Promise<void> }> {
  const db: TestDatabase | undefined = testServerUrl() ? await createTestDatabase() : undefined;
  const stack = await startStack({
    port: 0,
    databaseUrl: db?.url,
    quiet: true,
    dispatchLoop,
    // The receivers are on loopback, over plain http: allowed for 127.0.0.1 only.
    functionEnv: { KILN_WEBHOOK_HTTP_ALLOW: "127.0.0.1" },
  });
  const sql = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
  return {
    stack,
    sql,
    stop: async () => {
      await sql.end();
      await stack.stop();
      await db?.drop();
    },
  };
}

type StackEnv = Awaited<ReturnType<typeof stackOnOwnDatabase>>;

/** Registers the describe's hooks: a stack (with or without the loop) and a receiver; getters for both. */
function useStack(dispatchLoop: boolean): { env(): StackEnv; receiver(): WebhookReceiver } {
  let env: StackEnv | undefined;
  let receiver: WebhookReceiver | undefined;
  before(async () => {
    env = await stackOnOwnDatabase(dispatchLoop);
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await env?.stop();
  });
  return { env: () => env as StackEnv, receiver: () => receiver as WebhookReceiver };
}

/** An owner with an endpoint at `url`; returns the owner id. */
async function ownerWithEndpoint(sql: postgres.Sql, url: string): Promise<string> {
  const id = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${id}, ${`${id}@example.test`})`;
  await sql`insert into public.webhook_endpoints (owner_id, url, secret, events)
            values (${id}, ${url}, kiln.new_webhook_secret(), ${["job.queued"]})`;
  return id;
}

async function createJob(sql: postgres.Sql, owner: string): Promise<string> {
  const [{ r }] = await sql<{ r: { job: { id: string } } }[]>`
    select kiln.create_job(p_owner_id => ${owner}, p_type => 'txt2img', p_params => ${sql.json({ prompt: "x" })}, p_cost => 0) as r`;
  return r.job.id;
}

function bodiesOf(receiver: WebhookReceiver): { type: string; data: { id: string } }[] {
  return receiver.requests.map((r) => JSON.parse(r.body));
}

describe("POST /functions/v1/dispatch/run and kicks", () => {
  const { env, receiver } = useStack(false);

  const run = (init: { auth?: string; body?: string; type?: string } = {}) =>
    fetch(`${env().stack.url}/functions/v1/dispatch/run`, {
      method: "POST",
      headers: {
        ...(init.auth ? { authorization: `Bearer ${init.auth}` } : {}),
        ...(init.body ? { "content-type": init.type ?? "application/json" } : {}),
      },
      body: init.body,
    });

  it("refuses callers without the dispatch secret", async () => {
    const missing = await run();
    assert.equal(missing.status, 401);
    assert.equal((await missing.json()).error.code, "missing_credentials");
    const wrong = await run({ auth: "not-the-secret-at-all" });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error.code, "invalid_token");
    // A user's JWT is no dispatch secret either.
    const jwt = await run({ auth: env().stack.keys.serviceRoleKey });
    assert.equal(jwt.status, 401);
  });

  it("sends what is due and runs the sweeps, answering counts", async () => {
    const owner = await ownerWithEndpoint(env().sql, receiver().url("/run"));
    const jobId = await createJob(env().sql, owner);
    const response = await run({ auth: env().stack.dispatchSecret, body: JSON.stringify({ source: "test" }) });
    assert.equal(response.status, 200);
    const report = await response.json();
    assert.equal(report.deliveries.delivered, 1);
    assert.ok("reaped" in report.sweeps || Object.keys(report.sweeps).length === 0);
    assert.ok(response.headers.get("x-request-id"));
    assert.deepEqual(
      bodiesOf(receiver())
        .filter((b) => b.data.id === jobId)
        .map((b) => b.type),
      ["job.queued"],
    );
    const invalid = await run({ auth: env().stack.dispatchSecret, body: JSON.stringify({ sweeps: "yes" }) });
    assert.equal(invalid.status, 422);
  });

  it("a kick right after a transition sends its webhook within moments, with no loop or cron", async () => {
    const owner = await ownerWithEndpoint(env().sql, receiver().url("/kick"));
    const started = performance.now();
    const jobId = await createJob(env().sql, owner);
    kickDispatch({ SUPABASE_URL: env().stack.url, KILN_DISPATCH_SECRET: env().stack.dispatchSecret });
    await receiver().until((rs) => rs.some((r) => r.path === "/kick" && JSON.parse(r.body).data.id === jobId), 3000);
    assert.ok(performance.now() - started < 3000);
    // Without a secret, kicks are off.
    kickDispatch({ SUPABASE_URL: env().stack.url });
  });
});

describe("the local stack's dispatch loop", () => {
  const { env, receiver } = useStack(true);

  it("sends a new delivery on its own, woken by its NOTIFY", async () => {
    const owner = await ownerWithEndpoint(env().sql, receiver().url("/loop"));
    const jobId = await createJob(env().sql, owner);
    await receiver().until((rs) => rs.some((r) => JSON.parse(r.body).data.id === jobId), 3000);
    // Recorded once the receiver has answered.
    let status = "";
    for (let i = 0; i < 100 && status !== "succeeded"; i++) {
      [{ status }] = await env().sql<
        { status: string }[]
      >`select status from public.webhook_deliveries where job_id = ${jobId}`;
      if (status !== "succeeded") await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, "succeeded");
  });
});
