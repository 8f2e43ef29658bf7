/**
 * Section `api`: the public API over HTTP on loopback, with API keys, 16 concurrent clients: POST /v1/jobs
 * (req/s, p50, p99) and GET /v1/jobs/:id (req/s), served in-process under Node (@hono/node-server) and by the
 * function's entry point under Deno. Each client has its own account and key (creates for one account
 * serialize on its profile row, which is not what this measures) and its own forwarded address (one IP
 * budget each). Rate limits are raised so nothing is refused; the Postgres limiter still counts every request.
 *
 * The yardstick row is this machine's ceiling for the GET row: the same clients polling the same jobs on a bare
 * Hono app that only reads the job (the API's own query), with no auth, limits, validation or queue position.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { functionPool } from "../../supabase/functions/_shared/database_pool.ts";
import { newApp } from "../../supabase/functions/api/app.ts";
import { newApiKey } from "../../supabase/functions/api/auth/api_keys.ts";
import { apiDeps } from "../../supabase/functions/api/deps.ts";
import { uuidLiteral } from "../../supabase/functions/api/jobs/uuid_literal.ts";
import type { Database } from "../db/database.ts";
import { startDenoApi } from "../testing/deno_function.ts";
import { type HttpCall, type HttpLoadResult, httpLoad } from "./http_load.ts";
import type { BenchRow, BenchSection } from "./report.ts";
import { createOwners, resetJobs } from "./setup.ts";
import { formatMs, formatRate, percentile, perSecond } from "./stats.ts";

const clients = 16;
const durationMs = 5000;
const unlimited = "100000000";
const body = JSON.stringify({
  type: "txt2img",
  params: { prompt: "a kiln at dusk", width: 512, height: 512, steps: 4 },
});

/** One API key (jobs:read, jobs:write) per owner; returns the secrets. */
async function createKeys(db: Database, owners: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const owner of owners) {
    const { key, prefix, hash } = newApiKey();
    await db.query(
      "insert into public.api_keys (owner_id, name, prefix, secret_hash, scopes) values ($1, 'bench', $2, $3, $4)",
      [owner, prefix, hash, ["jobs:read", "jobs:write"]],
    );
    keys.push(key);
  }
  return keys;
}

/** `url` serving `app` on loopback under Node while `work` runs. */
async function served<T>(fetch: (request: Request) => Response | Promise<Response>, work: (url: string) => Promise<T>) {
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1" });
  try {
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    return await work(`http://127.0.0.1:${port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The yardstick: a bare app answering GET /api/v1/jobs/:id with the API's job read, nothing else. */
function bareJobRead(url: string): { fetch: Hono["fetch"]; close(): Promise<void> } {
  const sql = functionPool({ SUPABASE_DB_URL: url, KILN_DB_POOL_SIZE: clients });
  const app = new Hono().get("/api/v1/jobs/:id", async (c) => {
    const [row] = await sql.unsafe<{ job: unknown }[]>(
      `select kiln.job_summary(j) as job from public.jobs j where j.id = ${uuidLiteral(c.req.param("id"))}`,
    );
    return c.json(row.job as Record<string, unknown>);
  });
  return { fetch: app.fetch, close: () => sql.end({ timeout: 5 }) };
}

/** Create and get rows for the API at `url`, labelled `host`; the GET calls too, for the yardstick. */
async function measure(url: string, host: string, keys: string[]): Promise<{ rows: BenchRow[]; gets: HttpCall[][] }> {
  const headers = (i: number, json: boolean): Record<string, string> => ({
    authorization: `Bearer ${keys[i]}`,
    "x-forwarded-for": `198.51.100.${i + 1}`,
    ...(json ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } : {}),
  });
  const plan = { baseUrl: url, durationMs, warmupMs: 1000 };
  const create = await httpLoad({
    ...plan,
    calls: keys.map((_, i) => [{ method: "POST", path: "/api/v1/jobs", headers: headers(i, true), body, expect: 201 }]),
    keepBodies: true,
  });
  const gets = create.bodies.map((bodies, i) =>
    bodies.map((text): HttpCall => {
      const { id } = JSON.parse(text) as { id: string };
      return { method: "GET", path: `/api/v1/jobs/${id}`, headers: headers(i, false), expect: 200 };
    }),
  );
  const get = await httpLoad({ ...plan, calls: gets, keepBodies: false });
  return {
    rows: [
      rateLine(`POST /v1/jobs (${host}, ${clients} clients)`, create, "≥ 500 req/s, p99 < 50 ms"),
      rateLine(`GET /v1/jobs/:id (${host}, ${clients} clients)`, get, "≥ 2,000 req/s"),
    ],
    gets,
  };
}

function rateLine(benchmark: string, r: HttpLoadResult, target: string): BenchRow {
  return {
    benchmark,
    result: [
      formatRate(perSecond(r.count, r.elapsedMs), "req/s"),
      `p50 ${formatMs(percentile(r.samples, 50))}`,
      `p99 ${formatMs(percentile(r.samples, 99))}`,
    ].join(", "),
    target,
  };
}

export const apiSection: BenchSection = {
  name: "api",
  title: `the API over HTTP, ${clients} clients with API keys, ${durationMs / 1000} s per row, Node and Deno`,
  async run(ctx) {
    const owners = await createOwners(ctx.db, clients);
    const keys = await createKeys(ctx.db, owners);
    const env = {
      SUPABASE_URL: "http://127.0.0.1:54321",
      SUPABASE_DB_URL: ctx.url,
      KILN_RATE_LIMIT_READ_PER_MINUTE: unlimited,
      KILN_RATE_LIMIT_CREATE_PER_MINUTE: unlimited,
      KILN_RATE_LIMIT_IP_PER_MINUTE: unlimited,
      // One connection per client, so requests do not queue for the pool.
      KILN_DB_POOL_SIZE: String(clients),
    };
    const rows: BenchRow[] = [];
    // Each request's log line is formatted, as the server would, then dropped (Deno's go to /dev/null): whatever
    // reads the logs is not the server's work.
    const deps = apiDeps(env, (entry) => {
      JSON.stringify(entry);
    });
    let gets: HttpCall[][];
    try {
      const node = await served(newApp(deps).fetch, (url) => measure(url, "Node, in-process", keys));
      rows.push(...node.rows);
      gets = node.gets;
    } finally {
      await deps.close();
    }
    const bare = bareJobRead(ctx.url);
    try {
      const ceiling = await served(bare.fetch, (url) =>
        httpLoad({ baseUrl: url, durationMs, warmupMs: 1000, calls: gets, keepBodies: false }),
      );
      rows.push(rateLine(`yardstick: the same GETs on a bare app that only reads the job (Node)`, ceiling, "—"));
    } finally {
      await bare.close();
    }
    await resetJobs(ctx.db);
    const deno = await startDenoApi(env);
    try {
      rows.push(...(await measure(deno.url, "Deno", keys)).rows);
    } finally {
      await deno.stop();
      await resetJobs(ctx.db);
      // Its requests counted against loopback's IP budget too: later sections start with none spent.
      await ctx.db.exec("truncate kiln.rate_limit_counters");
    }
    return rows;
  },
};
