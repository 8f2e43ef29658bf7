/**
 * For worker-protocol tests: the API harness (its stack, users, keys and `call`), plus worker tokens as an
 * administrator would create them, `wcall` to /functions/v1/workers, and jobs created through the API and
 * claimed through the protocol, the way a GPU worker meets them.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { ClaimedJob, Register } from "../../../../shared/worker_protocol.ts";
import { newWorkerToken } from "../../_shared/auth/worker_tokens.ts";
import {
  type ApiHarness,
  type CallInit,
  callFunction,
  startApiHarness,
  type TestUser,
} from "../../api/testing/api_harness.ts";

export interface TestWorker {
  id: string;
  token: string;
}

export interface WorkerHarness extends ApiHarness {
  /** A worker row with a fresh token, as POST /v1/admin/workers makes it (revoked if asked); not registered. */
  worker(options?: { revoked?: boolean }): Promise<TestWorker>;
  /** A new worker registered through the protocol for `jobTypes` (all built-in types by default). */
  registeredWorker(jobTypes?: string[]): Promise<TestWorker>;
  /** HTTP to `/functions/v1/workers<path>` with `worker`'s token (a string is sent as the bearer as is). */
  wcall(method: string, path: string, worker: TestWorker | string | undefined, init?: CallInit): Promise<Response>;
  /** Creates a job of `user` through the API (txt2img by default); returns its id. */
  createJob(user: TestUser, body?: { type: string; params: Record<string, unknown> }): Promise<string>;
  /** Makes every queued job not yet due, so the claims that follow see only the jobs a test makes next. */
  parkQueuedJobs(): Promise<void>;
  /** Creates a job (after parking the others) and claims it with `worker`; returns the claim. */
  claimNew(
    user: TestUser,
    worker: TestWorker,
    body?: { type: string; params: Record<string, unknown> },
  ): Promise<ClaimedJob>;
}

export const JOB_TYPES = ["txt2img", "img2img", "upscale", "workflow"];

/** A valid registration: one ComfyUI instance with one GPU and a checkpoint. */
export function registration(jobTypes: string[] = JOB_TYPES): Register {
  return {
    job_types: jobTypes,
    slots: 1,
    comfyui: [
      {
        url: "http://127.0.0.1:8188",
        comfyui_version: "0.3.40",
        devices: [{ name: "cuda:0 NVIDIA RTX 4090", type: "cuda", vram_total: 25_757_220_864 }],
        models: {
          checkpoints: ["sd_xl_base_1.0.safetensors"],
          upscale_models: ["RealESRGAN_x2plus.pth", "RealESRGAN_x4plus.pth"],
        },
      },
    ],
    worker_version: "0.1.0",
    runtime: "node 20",
  };
}

const TXT2IMG = { type: "txt2img", params: { prompt: "a kiln at dusk" } };

export async function startWorkerHarness(): Promise<WorkerHarness> {
  const h = await startApiHarness();
  const wcall: WorkerHarness["wcall"] = (method, path, worker, init = {}) =>
    callFunction(h.target, "workers", method, path, {
      ...init,
      auth: typeof worker === "string" ? worker : worker?.token,
    });
  const harness: WorkerHarness = {
    ...h,
    wcall,
    async worker(options = {}) {
      const { token, prefix, hash } = newWorkerToken();
      const [{ id }] = await h.sql<{ id: string }[]>`
        insert into public.workers (name, token_prefix, token_hash, revoked_at)
        values (${`gpu-${randomBytes(3).toString("hex")}`}, ${prefix}, ${hash}, ${options.revoked ? new Date() : null})
        returning id`;
      return { id, token };
    },
    async registeredWorker(jobTypes) {
      const worker = await harness.worker();
      const response = await wcall("POST", "/v1/register", worker, { body: registration(jobTypes) });
      assert.equal(response.status, 200, await response.clone().text());
      return worker;
    },
    async createJob(user, body = TXT2IMG) {
      const response = await h.call("POST", "/v1/jobs", { auth: user.token, body });
      const job = await response.json();
      assert.equal(response.status, 201, JSON.stringify(job));
      return job.id;
    },
    async parkQueuedJobs() {
      await h.sql`update public.jobs set run_after = 'infinity' where status = 'queued'`;
    },
    async claimNew(user, worker, body) {
      await harness.parkQueuedJobs();
      const id = await harness.createJob(user, body);
      const response = await wcall("POST", "/v1/claim", worker, { body: { n: 1 } });
      const claimed = await response.json();
      assert.equal(response.status, 200, JSON.stringify(claimed));
      assert.equal(claimed.jobs[0]?.id, id, JSON.stringify(claimed));
      return claimed.jobs[0];
    },
  };
  return harness;
}
