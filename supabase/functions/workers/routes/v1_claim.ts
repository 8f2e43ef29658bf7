/**
 * POST /v1/claim: up to `n` jobs of the worker's registered types (or the subset it names), each with what it
 * needs to run. With `wait_s`, a claim that finds nothing waits for a NOTIFY kiln_queue (or polls each second)
 * up to that long, so a worker without Realtime still gets work at once. A draining worker gets nothing. With
 * `loaded_models`, jobs using a loaded checkpoint go first where the claim order allows (kiln.claim_jobs).
 */
import { ClaimRequest, type ClaimResponse } from "../../../../shared/worker_protocol.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { WorkersDeps } from "../deps.ts";
import { invalidFields, validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { claimJobs } from "../jobs/claimed_jobs.ts";

export function registerClaim(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/claim", async (c) => {
    const body = await validBody(c, ClaimRequest);
    const worker = c.get("worker");
    if (!worker.registered) {
      fail("invalid_state", "Register first: POST /v1/register says which job types this worker runs.");
    }
    const types = body.job_types ?? worker.jobTypes;
    const unregistered = types.filter((t) => !worker.jobTypes.includes(t));
    if (unregistered.length > 0) {
      invalidFields([{ path: ["job_types"], message: `not registered by this worker: ${unregistered.join(", ")}` }]);
    }
    let jobs: ClaimResponse["jobs"] = [];
    if (!worker.draining) {
      const claim = () => claimJobs(deps, worker.id, types, body.n, body.loaded_models ?? []);
      jobs =
        body.wait_s > 0
          ? await deps.wakeups.claimWithin(types, body.wait_s * 1000, claim, c.req.raw.signal)
          : await claim();
    }
    const response: ClaimResponse = { jobs };
    return c.json(response);
  });
}
