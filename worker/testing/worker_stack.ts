/**
 * For the worker's tests: the local stack (API harness: users, the api function over HTTP), ComfyUI simulators,
 * worker tokens as an administrator makes them, in-process workers wired exactly as the process wires them
 * (real workers function, real comfyui-client, real Realtime), and waits on a job's status. `close()` kills any
 * worker still running and closes every simulator and the stack, so a test leaves nothing behind.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { type ComfyuiSim, type ComfyuiSimOptions, startComfyuiSim } from "../../scripts/comfyui_sim/sim.ts";
import { newWorkerToken } from "../../supabase/functions/_shared/auth/worker_tokens.ts";
import { type ApiHarness, startApiHarness, type TestUser } from "../../supabase/functions/api/testing/api_harness.ts";
import { loadConfig, type WorkerConfig } from "../config.ts";
import { memoryLogger } from "../log.ts";
import { pinnedGet } from "../pinned_get.node.ts";
import type { OnJobMark } from "../run_job.ts";
import type { Worker } from "../worker.ts";
import { newWorker } from "../worker_process.ts";

export interface JobView {
  id: string;
  status: string;
  phase: string | null;
  attempts: number;
  progress: Record<string, unknown> | null;
  outputs: Array<Record<string, unknown>> | null;
  error: Record<string, unknown> | null;
  cost: number;
  started_at: string | null;
}

export interface TestWorker {
  worker: Worker;
  lines: string[];
  token: string;
  config: WorkerConfig;
}

export interface WorkerOptions {
  /** Realtime wake-ups (default true); false: long-poll claims. */
  realtime?: boolean;
  pollIntervalMs?: number;
  graceMs?: number;
  token?: string;
  echo?: boolean;
  /** Called at each mark of every run (the chaos suite kills workers at them). */
  onJobMark?: OnJobMark;
  /** How often it checks whether ComfyUI's models changed (default: the worker's 5 min). */
  capabilityRefreshMs?: number;
}

export interface WorkerStack {
  h: ApiHarness;
  user: TestUser;
  sim(options?: ComfyuiSimOptions): Promise<ComfyuiSim>;
  /** A worker row with a fresh token, as POST /v1/admin/workers makes it. */
  workerToken(): Promise<string>;
  /** A started (registered) worker on `sims`. */
  startWorker(sims: ComfyuiSim[], options?: WorkerOptions): Promise<TestWorker>;
  createJob(body: { type: string; params: Record<string, unknown> }, user?: TestUser): Promise<string>;
  job(id: string, user?: TestUser): Promise<JobView>;
  /** Polls the job until `done(job)` holds; fails after `timeoutMs` with the last state seen. */
  waitFor(id: string, done: (job: JobView) => boolean, timeoutMs?: number, user?: TestUser): Promise<JobView>;
  /** Sets a kiln setting (kiln.settings) to the JSON `value`. */
  setting(key: string, value: unknown): Promise<void>;
  close(): Promise<void>;
}

export const final = (j: JobView) => ["succeeded", "failed", "canceled"].includes(j.status);

/** The stack for worker tests; `harness` as startApiHarness's options (the chaos suite's own database, settings). */
export async function startWorkerStack(harness: Parameters<typeof startApiHarness>[0] = {}): Promise<WorkerStack> {
  const h = await startApiHarness(harness);
  const sims: ComfyuiSim[] = [];
  const workers: Worker[] = [];
  const user = await h.user({ credits: 1_000_000 });
  // Retries after a retryable failure come quickly in tests (2 s by default).
  await h.sql`update kiln.settings set value = '{"base_seconds": 0.05, "max_seconds": 0.2}' where key = 'retry_backoff'`;
  const stack: WorkerStack = {
    h,
    user,
    async sim(options = {}) {
      const sim = await startComfyuiSim({ port: 0, stepMs: 5, ...options });
      sims.push(sim);
      return sim;
    },
    async workerToken() {
      const { token, prefix, hash } = newWorkerToken();
      await h.sql`
        insert into public.workers (name, token_prefix, token_hash)
        values (${`gpu-${randomBytes(3).toString("hex")}`}, ${prefix}, ${hash})`;
      return token;
    },
    async startWorker(list, options = {}) {
      const token = options.token ?? (await stack.workerToken());
      const env: Record<string, string> = {
        KILN_URL: `${h.target.url}/functions/v1`,
        KILN_WORKER_TOKEN: token,
        COMFYUI_URL: list.map((s) => s.url).join(","),
        KILN_POLL_INTERVAL_MS: String(options.pollIntervalMs ?? 250),
        KILN_SHUTDOWN_GRACE_MS: String(options.graceMs ?? 10_000),
      };
      if (options.realtime !== false) {
        env.SUPABASE_URL = h.target.url;
        env.SUPABASE_ANON_KEY = h.target.anonKey;
      }
      const config = loadConfig(env, []);
      const log = memoryLogger(options.echo ?? process.env.KILN_WORKER_LOG === "1");
      const worker = newWorker(config, {
        httpGet: pinnedGet,
        WebSocket,
        log,
        runtime: `node ${process.versions.node}`,
        comfyLostAfterMs: 1500,
        onJobMark: options.onJobMark,
        capabilityRefreshMs: options.capabilityRefreshMs,
      });
      workers.push(worker);
      await worker.start();
      return { worker, lines: log.lines, token, config };
    },
    async createJob(body, owner = user) {
      const response = await h.call("POST", "/v1/jobs", { auth: owner.token, body });
      const job = await response.json();
      assert.equal(response.status, 201, JSON.stringify(job));
      return job.id;
    },
    async job(id, owner = user) {
      const response = await h.call("GET", `/v1/jobs/${id}`, { auth: owner.token });
      const job = await response.json();
      assert.equal(response.status, 200, JSON.stringify(job));
      return job;
    },
    async waitFor(id, done, timeoutMs = 10_000, owner = user) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await stack.job(id, owner);
        if (done(job)) return job;
        if (Date.now() > deadline)
          assert.fail(`job ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(job)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async setting(key, value) {
      await h.sql`update kiln.settings set value = ${h.sql.json(value as never)} where key = ${key}`;
    },
    async close() {
      await Promise.all(workers.map((w) => w.kill()));
      await Promise.all(sims.map((s) => s.close()));
      await h.close();
    },
  };
  return stack;
}

/** Resolves once `condition()` holds; fails after `timeoutMs` with `what`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a worker's log says job `id` is executing (its prompt is queued in ComfyUI). */
export const executing = (lines: readonly string[], id: string) => lines.some((l) => l.includes(`job ${id} executing`));

/** Bytes of `url` (a signed output URL). */
export async function download(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}
