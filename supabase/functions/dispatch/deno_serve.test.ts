/**
 * The dispatch function under real Deno, as Supabase runs it: its entry point, run by Deno on a test database,
 * checks its secret, signs with standardwebhooks (an npm package, under Deno) and resolves hosts through
 * node:dns for the SSRF check.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { type DenoApi, startDenoApi } from "../../../scripts/testing/deno_function.ts";
import { createJob, createUser } from "../../tests/helpers/fixtures.ts";
import { type DispatchHarness, startDispatchHarness } from "./testing/dispatch_harness.ts";
import { createEndpoint } from "./testing/webhook_fixtures.ts";
import { startReceiver, type WebhookReceiver } from "./testing/webhook_receiver.ts";

const SECRET = "deno-dispatch-secret-0123456789";

describe("the dispatch function under Deno", { timeout: 180_000 }, () => {
  let h: DispatchHarness;
  let receiver: WebhookReceiver;
  let deno: DenoApi;
  before(async () => {
    h = await startDispatchHarness();
    receiver = await startReceiver();
    deno = await startDenoApi(
      {
        SUPABASE_URL: "https://kiln.example.test",
        SUPABASE_DB_URL: h.url,
        KILN_DISPATCH_SECRET: SECRET,
        KILN_WEBHOOK_HTTP_ALLOW: "127.0.0.1,localhost",
        KILN_WEBHOOK_PRIVATE_ALLOW: "127.0.0.1",
      },
      120_000,
      "dispatch",
    );
  });
  after(async () => {
    await deno?.stop();
    await receiver?.close();
    await h?.close();
  });

  it("refuses a wrong secret, delivers signed, and refuses a name that resolves to loopback", async () => {
    const run = (secret: string) =>
      fetch(`${deno.url}/dispatch/run`, { method: "POST", headers: { authorization: `Bearer ${secret}` } });
    assert.equal((await run("wrong-secret-wrong-secret")).status, 401);

    const owner = await createUser(h.db, { credits: 100 });
    const signed = await createEndpoint(h.db, owner, receiver.url("/deno"), ["job.queued"]);
    const other = await createUser(h.db, { credits: 100 });
    await createEndpoint(h.db, other, `http://localhost:${receiver.port}/deno-dns`, ["job.queued"]);
    const { job } = await createJob(h.db, owner, { type: "deno_hook", cost: 0 });
    const { job: refused } = await createJob(h.db, other, { type: "deno_hook", cost: 0 });

    const response = await run(SECRET);
    assert.equal(response.status, 200, await response.clone().text());
    const report = (await response.json()) as { deliveries: { delivered: number; retrying: number } };
    assert.deepEqual([report.deliveries.delivered, report.deliveries.retrying], [1, 1]);
    const [request] = receiver.requests;
    assert.equal(receiver.requests.length, 1);
    const payload = new Webhook(signed.secret).verify(request.body, request.headers) as { data: { id: string } };
    assert.equal(payload.data.id, job.id);
    const [row] = await h.db.query<{ last_error: string }>(
      "select last_error from public.webhook_deliveries where job_id = $1",
      [refused.id],
    );
    assert.match(row.last_error, /is a loopback address \(localhost resolves to (127\.0\.0\.1|::1)\)/);
  });
});
