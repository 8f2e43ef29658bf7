/**
 * The yardstick: pgbench's TPC-B-like load with 8 clients against the same server in the same run, and our
 * 8-claimer cycle rate as a fraction of it (a cycle is two transactions that each touch a few rows, like TPC-B).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { dropDatabase, recreateDatabase } from "./bench_database.ts";
import { batchedCyclesMetric, claimCyclesMetric } from "./claim_cycles.ts";
import type { BenchContext, BenchRow, BenchSection } from "./report.ts";
import { createOwners, createWorkers, fillQueue, resetJobs } from "./setup.ts";
import { formatRate } from "./stats.ts";

const run = promisify(execFile);
const database = "kiln_pgbench";
const scale = 8;
const clients = 8;
const seconds = 10;
const targetRatio = 0.6;

/** pgbench's tps, or undefined when the binary is not installed. */
async function measureTps(adminUrl: string): Promise<number | undefined> {
  try {
    await run("pgbench", ["--version"]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const url = await recreateDatabase(adminUrl, database);
  try {
    await run("pgbench", ["-i", "-q", "-s", String(scale), url]);
    const { stdout } = await run("pgbench", ["-c", String(clients), "-j", "2", "-T", String(seconds), "-n", url]);
    const match = /^tps = ([\d.]+)/m.exec(stdout);
    if (!match) throw new Error(`no tps in pgbench's output:\n${stdout}`);
    return Number(match[1]);
  } finally {
    await dropDatabase(adminUrl, database);
  }
}

/** pgbench's -T run of `script` on `url` with 8 clients; its tps. */
async function pgbenchTps(url: string, script: string): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "kiln-bench-"));
  try {
    await writeFile(join(dir, "script.sql"), script);
    const { stdout } = await run("pgbench", [
      "-n",
      "-c",
      String(clients),
      "-j",
      "2",
      "-T",
      "5",
      "-f",
      join(dir, "script.sql"),
      url,
    ]);
    const match = /^tps = ([\d.]+)/m.exec(stdout);
    if (!match) throw new Error(`no tps in pgbench's output:\n${stdout}`);
    return Number(match[1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The same claim + complete cycle with pgbench as the client instead of Node: what the database alone sustains
 * on this machine, without the bench process taking its share of the 2 cores.
 */
async function cyclesWithoutNode(ctx: BenchContext): Promise<number> {
  const type = "bench_pgbench_cycle";
  const workers = await createWorkers(ctx.db, clients, [type]);
  await fillQueue(ctx.db, await createOwners(ctx.db, 200), type, 16000);
  // Client n is worker n; one transaction of the script is one cycle. pgbench pastes \gset values as they are,
  // so the ids come back already quoted.
  const script = [
    "\\set n :client_id + 1",
    `select quote_literal((array['${workers.join("','")}'])[:n]) as worker \\gset`,
    `select quote_literal(id) as job, fencing_token as token from kiln.claim_jobs(:worker, array['${type}'], 1) \\gset`,
    "select kiln.complete_job(:job, :worker, :token, '[]');",
  ].join("\n");
  try {
    return await pgbenchTps(ctx.url, script);
  } finally {
    await resetJobs(ctx.db);
  }
}

/** Section `pgbench`: TPC-B tps, then the 8-claimer cycle rate (from section `claim`) as a ratio of it. */
export const pgbenchSection: BenchSection = {
  name: "pgbench",
  title: `pgbench TPC-B, -s ${scale}, ${clients} clients, ${seconds} s; then the claim cycle driven by pgbench`,
  async run(ctx) {
    const tps = await measureTps(ctx.adminUrl);
    const benchmark = `pgbench TPC-B tps (${clients} clients, -s ${scale}, same server)`;
    const ratioBenchmark = "claim + complete cycles/s, 8 claimers ÷ pgbench tps";
    const target = `≥ ${targetRatio}× pgbench`;
    if (tps === undefined) {
      return [
        { benchmark, result: "not measured: pgbench is not installed", target: "—" },
        { benchmark: ratioBenchmark, result: "not measured: no pgbench", target },
      ];
    }
    const cycles = ctx.metrics.get(claimCyclesMetric);
    const rows: BenchRow[] = [{ benchmark, result: formatRate(tps, "tps"), target: "—" }];
    rows.push({
      benchmark: ratioBenchmark,
      result: cycles === undefined ? "not measured: run the claim section too" : `${(cycles / tps).toFixed(2)}×`,
      target,
    });
    const batched = ctx.metrics.get(batchedCyclesMetric);
    if (batched !== undefined) {
      rows.push({
        benchmark: "claim + complete cycles/s, 8 claimers, 8 jobs a call (batched reports) ÷ pgbench tps",
        result: `${(batched / tps).toFixed(2)}×`,
        target: "—",
      });
    }
    const withoutNode = await cyclesWithoutNode(ctx);
    rows.push(
      {
        benchmark: "claim + complete cycles/s, 8 pgbench clients (no Node)",
        result: formatRate(withoutNode),
        target: "—",
      },
      { benchmark: "the same ÷ pgbench tps", result: `${(withoutNode / tps).toFixed(2)}×`, target },
    );
    return rows;
  },
};
