/**
 * `npm run bench [-- <section>…]`: runs the selected sections (all by default) in order on the local
 * PostgreSQL server (DATABASE_URL), each in a fresh `kiln_bench` database it drops at the end, and prints one
 * Markdown table of benchmark, result and target. Progress goes to stderr, the table to stdout.
 */
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { redactUrl } from "../db/database.ts";
import { apiSection } from "./api_requests.ts";
import { adminUrl, createBenchDatabase } from "./bench_database.ts";
import { claimSection } from "./claim_cycles.ts";
import { latencySection } from "./claim_latency.ts";
import { dashboardSection } from "./dashboard.ts";
import { edgeSection } from "./edge_functions.ts";
import { fairSection } from "./fair_share.ts";
import { gpuSection } from "./gpu_busy.ts";
import { createSection } from "./jobs_create.ts";
import { modelSection } from "./model_swaps.ts";
import { pgbenchSection } from "./pgbench.ts";
import { realtimeSection } from "./realtime_broadcast.ts";
import { type BenchRow, type BenchSection, markdownTable } from "./report.ts";
import { walSection } from "./wal_cost.ts";
import { webhookSection } from "./webhook_delivery.ts";
import { workerSection } from "./worker_jobs.ts";

/**
 * Every section, in the order they run. The pgbench ratio needs `claim` to have run before it; `realtime`,
 * `webhooks` and `worker` run last, since the stacks they start switch NOTIFYs on for the database (each resets
 * them after).
 */
const sections: BenchSection[] = [
  createSection,
  claimSection,
  latencySection,
  pgbenchSection,
  walSection,
  fairSection,
  apiSection,
  edgeSection,
  realtimeSection,
  webhookSection,
  workerSection,
  gpuSection,
  modelSection,
  dashboardSection,
];

/** A bad command line: reported as one line, without a stack. */
class UsageError extends Error {}

/** The sections named on the command line, in run order; all of them when none is named. */
function selectSections(names: string[]): BenchSection[] {
  const unknown = names.filter((n) => !sections.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown section(s) ${unknown.join(", ")}; known: ${sections.map((s) => s.name).join(", ")}`);
  }
  return names.length === 0 ? sections : sections.filter((s) => names.includes(s.name));
}

async function main(): Promise<void> {
  const selected = selectSections(process.argv.slice(2));
  const admin = adminUrl();
  console.error(`kiln bench on ${redactUrl(admin)}: ${selected.map((s) => s.name).join(", ")}`);
  // KILN_BENCH_DATABASE: another name, so two runs on one server do not drop each other's database.
  const bench = await createBenchDatabase(admin, process.env.KILN_BENCH_DATABASE ?? "kiln_bench");
  const rows: BenchRow[] = [];
  let header: string;
  try {
    const [server] = await bench.db.query<{ version: string; sync: string }>(
      "select current_setting('server_version') as version, current_setting('synchronous_commit') as sync",
    );
    const cpu = cpus();
    header = [
      `machine: ${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length}`,
      `PostgreSQL ${server.version} (synchronous_commit = ${server.sync}), Node ${process.version}`,
    ].join("\n");
    const ctx = { adminUrl: admin, url: bench.url, db: bench.db, metrics: new Map<string, number>() };
    for (const section of selected) {
      console.error(`▶ ${section.name}: ${section.title}`);
      const start = performance.now();
      rows.push(...(await section.run(ctx)));
      console.error(`  done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
  } finally {
    await bench.drop();
  }
  console.log(`${header}\n\n${markdownTable(rows)}`);
}

try {
  await main();
} catch (error) {
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
}
