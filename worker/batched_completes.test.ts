/**
 * Completions ride together: the first goes at once, those made while it is out go as one call when it ends, and
 * each caller gets its own answer (a lost job is its caller's lease_lost, not the others').
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ClaimedJob } from "../shared/worker_protocol.ts";
import {
  startWorkerHarness,
  type TestWorker,
  type WorkerHarness,
} from "../supabase/functions/workers/testing/worker_harness.ts";
import { BatchedCompletes } from "./batched_completes.ts";
import { isLeaseLost, ProtocolClient } from "./protocol_client.ts";

let h: WorkerHarness;
before(async () => {
  h = await startWorkerHarness();
});
after(() => h.close());

/** Completions sent as `token` to the workers function; `calls` gets each call's path and the jobs it reports. */
function completions(worker: TestWorker, token = worker.token): { completes: BatchedCompletes; calls: string[][] } {
  const calls: string[][] = [];
  const protocol = new ProtocolClient({
    kilnUrl: "http://kiln.test/functions/v1",
    token,
    fetch: async (input, init) => {
      const path = new URL(String(input)).pathname.replace("/functions/v1/workers", "");
      const body = JSON.parse(String(init?.body));
      calls.push([path, ...(body.jobs ?? []).map((j: { id: string }) => j.id)]);
      return h.wcall("POST", path, token, { body });
    },
  });
  return { completes: new BatchedCompletes(protocol), calls };
}

const report = (completes: BatchedCompletes, job: ClaimedJob, token = job.fencing_token) =>
  completes.complete(job.id, { fencing_token: token, outputs: [] });

/** Each answer as the job's status, or "lease_lost". */
const outcomes = (answers: PromiseSettledResult<{ job: { status: string } }>[]) =>
  answers.map((a) => (a.status === "fulfilled" ? a.value.job.status : isLeaseLost(a.reason) && "lease_lost"));

describe("BatchedCompletes", () => {
  it("sends the completions made while a call is out as one call, answering each job apart", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await h.claimNew(user, worker));
    const { completes, calls } = completions(worker);
    const [first, ...rest] = jobs;
    const lost = rest[1];
    const answers = await Promise.allSettled([
      report(completes, first),
      ...rest.map((job) =>
        report(completes, job, job === lost ? String(BigInt(job.fencing_token) + 1000n) : job.fencing_token),
      ),
    ]);
    assert.deepEqual(calls, [
      ["/v1/jobs/complete", first.id],
      ["/v1/jobs/complete", ...rest.map((j) => j.id)],
    ]);
    assert.deepEqual(outcomes(answers), ["succeeded", "succeeded", "lease_lost", "succeeded"]);
  });

  it("never puts one job twice in a call: a second report of it waits for the next call", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const [x, y] = [await h.claimNew(user, worker), await h.claimNew(user, worker)];
    const { completes, calls } = completions(worker);
    const answers = await Promise.allSettled([report(completes, x), report(completes, y), report(completes, y)]);
    assert.deepEqual(calls, [
      ["/v1/jobs/complete", x.id],
      ["/v1/jobs/complete", y.id],
      ["/v1/jobs/complete", y.id],
    ]);
    assert.deepEqual(outcomes(answers), ["succeeded", "succeeded", "lease_lost"]);
  });

  it("fails every waiting completion with the call's own error", async () => {
    const [user, worker] = [await h.user(), await h.registeredWorker()];
    const job = await h.claimNew(user, worker);
    const { completes } = completions(worker, "kiln_wk_unknown");
    const refused = await Promise.allSettled([report(completes, job), report(completes, job)]);
    for (const r of refused) {
      assert.equal(r.status, "rejected");
      assert.equal((r.reason as { status: number }).status, 401);
    }
    const view = await (await h.call("GET", `/v1/jobs/${job.id}`, { auth: user.token })).json();
    assert.equal(view.status, "running");
  });
});
