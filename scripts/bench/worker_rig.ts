/**
 * The local stack on the bench database with real workers in this process, one ComfyUI simulator each, wired as
 * the worker process wires them (workers function, comfyui-client, Realtime, Storage); the sections `worker` and
 * `models` run jobs through it. The worker's instrumentation hook (`onJobMark`) records each job's times.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import type { Requirements } from "../../shared/comfyui/requirements.ts";
import { samplingCost } from "../../shared/job_types/txt2img.ts";
import { newWorkerToken } from "../../supabase/functions/_shared/auth/worker_tokens.ts";
import { newApiKey } from "../../supabase/functions/api/auth/api_keys.ts";
import { loadConfig } from "../../worker/config.ts";
import { createLogger } from "../../worker/log.ts";
import { pinnedGet } from "../../worker/pinned_get.node.ts";
import type { Worker } from "../../worker/worker.ts";
import { newWorker } from "../../worker/worker_process.ts";
import { type ComfyuiSim, type ComfyuiSimOptions, startComfyuiSim } from "../comfyui_sim/sim.ts";
import { type Stack, startStack } from "../local/stack.ts";
import { JobMarks } from "./job_marks.ts";
import { closeAll, openClients } from "./load.ts";
import type { BenchContext } from "./report.ts";
import { createOwners, resetJobs } from "./setup.ts";

export interface Rig {
  stack: Stack;
  sims: ComfyuiSim[];
  marks: JobMarks;
  /** An account with credits to spare, and an API key of it (jobs:read, jobs:write). */
  owner: string;
  apiKey: string;
  /** The workers running now. */
  live: Worker[];
}

/**
 * Runs `fn` with the stack and `simCount` simulators (`sim` options) on the bench database, then stops all of it,
 * workers included, and empties the job tables.
 */
export async function withRig<T>(
  ctx: BenchContext,
  simCount: number,
  sim: ComfyuiSimOptions,
  fn: (rig: Rig) => Promise<T>,
): Promise<T> {
  const [{ name }] = await ctx.db.query<{ name: string }>("select current_database() as name");
  const stack = await startStack({ port: 0, databaseUrl: ctx.url, quiet: true, dispatchLoop: false });
  const sims: ComfyuiSim[] = [];
  const live: Worker[] = [];
  try {
    for (let i = 0; i < simCount; i++) sims.push(await startComfyuiSim({ ...sim, port: 0 }));
    const [owner] = await createOwners(ctx.db, 1);
    const key = newApiKey();
    await ctx.db.query(
      `insert into public.api_keys (owner_id, name, prefix, secret_hash, scopes, rate_limit_per_minute)
       values ($1, 'bench', $2, $3, $4, 1000000)`,
      [owner, key.prefix, key.hash, ["jobs:read", "jobs:write"]],
    );
    return await fn({ stack, sims, marks: new JobMarks(), owner, apiKey: key.key, live });
  } finally {
    await Promise.all(live.map((w) => w.kill()));
    await Promise.all(sims.map((s) => s.close()));
    await stack.stop();
    // Later sections must not pay for the relay's NOTIFY (see realtime_broadcast.ts).
    await ctx.db.exec(`alter database "${name}" reset kiln.realtime_relay`);
    await resetJobs(ctx.db);
  }
}

/**
 * A worker with a fresh token per simulator, added to `rig.live` as each starts; with Realtime, resolves once each
 * has joined the queue topic.
 */
export async function startWorkers(
  rig: Rig,
  ctx: BenchContext,
  realtime: boolean,
  options: { prefetch?: boolean } = {},
): Promise<void> {
  let subscribed = 0;
  const log = createLogger("text", (line, level) => {
    if (line.includes("realtime subscribed")) subscribed++;
    if (level !== "info") console.error(`  worker: ${line}`);
  });
  for (const sim of rig.sims) {
    const { token, prefix, hash } = newWorkerToken();
    await ctx.db.query("insert into public.workers (name, token_prefix, token_hash) values ($1, $2, $3)", [
      `bench-${randomBytes(3).toString("hex")}`,
      prefix,
      hash,
    ]);
    const env: Record<string, string> = {
      KILN_URL: `${rig.stack.url}/functions/v1`,
      KILN_WORKER_TOKEN: token,
      COMFYUI_URL: sim.url,
      KILN_JOB_TYPES: "txt2img",
      KILN_PREFETCH: options.prefetch === false ? "0" : "1",
      ...(realtime ? { SUPABASE_URL: rig.stack.url, SUPABASE_ANON_KEY: rig.stack.keys.anonKey } : {}),
    };
    const worker = newWorker(loadConfig(env, []), {
      httpGet: pinnedGet,
      WebSocket,
      log,
      runtime: `node ${process.versions.node}`,
      onJobMark: rig.marks.record,
    });
    rig.live.push(worker);
    await worker.start();
  }
  for (let waited = 0; realtime && subscribed < rig.sims.length; waited += 10) {
    if (waited > 10_000) throw new Error(`only ${subscribed} of ${rig.sims.length} workers joined Realtime`);
    await sleep(10);
  }
}

/**
 * Queues txt2img `jobs` for the rig's owner in one kiln.create_job statement, on a connection opened after the stack
 * switched the relay on for the database, so the creates reach Realtime; their ids in order, and when it was sent.
 */
export async function queueTxt2img(
  ctx: BenchContext,
  rig: Rig,
  jobs: { params: Parameters<typeof samplingCost>[0]; requirements?: Requirements }[],
): Promise<{ ids: string[]; sentAt: number }> {
  const [producer] = await openClients(ctx.url, 1);
  try {
    const sentAt = performance.now();
    const created = await producer.query<{ id: string }>(
      `select kiln.create_job(p_owner_id => $1, p_type => 'txt2img', p_params => j -> 'params',
                              p_cost => (j ->> 'cost')::bigint, p_requirements => coalesce(j -> 'requirements', '{}'))
                -> 'job' ->> 'id' as id
         from jsonb_array_elements($2::text::jsonb) with ordinality as t (j, n)
        order by t.n`,
      [rig.owner, JSON.stringify(jobs.map((job) => ({ ...job, cost: samplingCost(job.params) })))],
    );
    return { ids: created.map((r) => r.id), sentAt };
  } finally {
    await closeAll([producer]);
  }
}
