/**
 * Completions ride together: the first goes at once, those made while it is out go as one call when it ends, and
 * each caller gets its own answer (a lost job is its caller's lease_lost, not the others').
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorkerHarness, type WorkerHarness } from "../supabase/functions/workers/testing/worker_harness.ts";
import { BatchedCompletes } from "./batched_completes.ts";
import { isLeaseLost, ProtocolClient } from "./protocol_client.ts";

let h: WorkerHarness;
before(async () => {
  h = await startWorkerHarness();
});
after(() => h.close());

describe("BatchedCompletes", () => {
  it("sends the completions made while a call is out as one call, answering each job apart", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await h.claimNew(user, worker));
    // The protocol client's requests go to the workers function; each is recorded with the jobs it reports.
    const calls: string[][] = [];
    const protocol = new ProtocolClient({
      kilnUrl: "http://kiln.test/functions/v1",
      token: worker.token,
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname.replace("/functions/v1/workers", "");
        const body = JSON.parse(String(init?.body));
        calls.push([path, ...(body.jobs ?? []).map((j: { id: string }) => j.id)]);
        return h.wcall("POST", path, worker.token, { body });
      },
    });
    const completes = new BatchedCompletes(protocol);
    const [first, ...rest] = jobs;
    const lost = rest[1];
    const answers = await Promise.allSettled([
      completes.complete(first.id, { fencing_token: first.fencing_token, outputs: [] }),
      ...rest.map((job) =>
        completes.complete(job.id, {
          fencing_token: job === lost ? String(BigInt(job.fencing_token) + 1000n) : job.fencing_token,
          outputs: [],
        }),
      ),
    ]);
    assert.deepEqual(calls, [
      ["/v1/jobs/complete", first.id],
      ["/v1/jobs/complete", ...rest.map((j) => j.id)],
    ]);
    assert.deepEqual(
      answers.map((a) => (a.status === "fulfilled" ? a.value.job.status : isLeaseLost(a.reason) && "lease_lost")),
      ["succeeded", "succeeded", "lease_lost", "succeeded"],
    );
  });

  it("fails every waiting completion with the call's own error", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const job = await h.claimNew(user, worker);
    const protocol = new ProtocolClient({
      kilnUrl: "http://kiln.test/functions/v1",
      token: "kiln_wk_unknown",
      fetch: (input, init) =>
        h.wcall("POST", new URL(String(input)).pathname.replace("/functions/v1/workers", ""), "kiln_wk_unknown", {
          body: JSON.parse(String(init?.body)),
        }),
    });
    const completes = new BatchedCompletes(protocol);
    const refused = await Promise.allSettled([
      completes.complete(job.id, { fencing_token: job.fencing_token, outputs: [] }),
      completes.complete(job.id, { fencing_token: job.fencing_token, outputs: [] }),
    ]);
    for (const r of refused) {
      assert.equal(r.status, "rejected");
      assert.equal((r.reason as { status: number }).status, 401);
    }
    const view = await (await h.call("GET", `/v1/jobs/${job.id}`, { auth: user.token })).json();
    assert.equal(view.status, "running");
  });
});
