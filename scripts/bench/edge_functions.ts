/**
 * The functions against the hosted Edge Runtime's documented limits (bundle ≤ 20 MB, 2 s of CPU per request,
 * 256 MB of memory), measured on what deploys: each bundle as `npm run build:functions` writes it, and the api's
 * bundle booted cold on Deno 2.1.4 (the runtime's Deno) for its first request, an API-key job create, five times.
 * CPU is the process's, all threads, from /proc/<pid>/task/*\/schedstat (ns): an upper bound on what the runtime
 * would count for the isolate, which is the one thread.
 */
import { readdirSync, readFileSync } from "node:fs";
import { newApiKey } from "../../supabase/functions/api/auth/api_keys.ts";
import { buildFunction, functionNames } from "../build_functions.ts";
import { startDenoFunction } from "../testing/deno_function.ts";
import type { BenchContext, BenchRow, BenchSection } from "./report.ts";
import { benchParams, createOwners } from "./setup.ts";
import { percentile } from "./stats.ts";

const COLD_STARTS = 5;

/** CPU time the process has used so far, in ms (every thread, living ones; V8's helpers live as long as it). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
  }
  return ns / 1e6;
}

function residentMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

interface ColdStart {
  bootMs: number;
  firstRequestMs: number;
  rssMb: number;
}

/** One cold start of the api bundle: CPU to listening, CPU of the first request, memory after it. */
async function coldStart(ctx: BenchContext, key: string): Promise<ColdStart> {
  const api = await startDenoFunction(
    { SUPABASE_URL: "http://127.0.0.1:9", SUPABASE_DB_URL: ctx.url },
    { name: "api", as: "deployed" },
  );
  try {
    const boot = cpuMs(api.pid);
    const response = await fetch(`${api.url}/api/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "txt2img", params: benchParams }),
    });
    if (response.status !== 201) throw new Error(`first request answered ${response.status}: ${await response.text()}`);
    return { bootMs: boot, firstRequestMs: cpuMs(api.pid) - boot, rssMb: residentMb(api.pid) };
  } finally {
    await api.stop();
  }
}

export const edgeSection: BenchSection = {
  name: "edge",
  title: "the deployed bundles against the Edge Runtime's limits (Deno 2.1.4)",
  async run(ctx) {
    const rows: BenchRow[] = [];
    const sizes = new Map<string, string>();
    for (const name of await functionNames()) {
      const { bytes } = await buildFunction(name);
      sizes.set(name, `${(bytes / 1024 / 1024).toFixed(2)} MB`);
    }
    const named = ["api", "workers", "dispatch"].map((n) => sizes.get(n) ?? "missing");
    rows.push({
      benchmark: "function bundle size (api / workers / dispatch)",
      result: named.join(" / "),
      target: "≤ 20 MB each",
    });

    const [owner] = await createOwners(ctx.db, 1);
    const { key, prefix, hash } = newApiKey();
    await ctx.db.query(
      "insert into public.api_keys (owner_id, name, prefix, secret_hash, scopes) values ($1, 'bench', $2, $3, $4)",
      [owner, prefix, hash, ["jobs:write", "jobs:read"]],
    );
    const starts: ColdStart[] = [];
    for (let i = 0; i < COLD_STARTS; i++) starts.push(await coldStart(ctx, key));
    const median = (pick: (s: ColdStart) => number) => percentile(starts.map(pick), 50);
    const max = (pick: (s: ColdStart) => number) => Math.max(...starts.map(pick));
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    rows.push({
      benchmark: "cold first request CPU ms (api)",
      result:
        `first request (API-key create) ${ms(median((s) => s.firstRequestMs))} median, ${ms(max((s) => s.firstRequestMs))} max; ` +
        `boot ${ms(median((s) => s.bootMs))} median, ${ms(max((s) => s.bootMs))} max (${COLD_STARTS} cold starts, Deno 2.1.4)`,
      target: "< 2000 ms",
    });
    rows.push({
      benchmark: "memory after the first request (api)",
      result: `${median((s) => s.rssMb).toFixed(0)} MB RSS median, ${max((s) => s.rssMb).toFixed(0)} MB max`,
      target: "< 256 MB",
    });
    return rows;
  },
};
