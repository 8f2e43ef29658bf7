/**
 * What a claim + complete cycle writes, read from the WAL itself (pg_walinspect) between two LSNs while 8
 * claimers drain a queue of 4,000 jobs, next to graphile-worker and pg-boss draining the same number of jobs on
 * the same server in the same run, each in a database of its own. Records are attributed to their database by
 * the block they touch (records that touch none, like commits, are counted for everyone: the bench runs alone).
 * Index entries are the index insert records (B-tree and the rest). Kiln's figure leaves out realtime.messages
 * (locally a plain table; on hosted its own row tells what the broadcasts add).
 */
import { performance } from "node:perf_hooks";
import { runMigrations as graphileMigrations, Logger, run as runGraphileWorker } from "graphile-worker";
import PgBoss from "pg-boss";
import { type Database, openPostgres } from "../db/database.ts";
import { eventually } from "../testing/eventually.ts";
import { dropDatabase, recreateDatabase } from "./bench_database.ts";
import { cycle } from "./claim_cycles.ts";
import { closeAll, openClients, runFor } from "./load.ts";
import type { BenchContext, BenchRow, BenchSection } from "./report.ts";
import { createOwners, createWorkers, fillQueue, resetJobs } from "./setup.ts";
import { formatRate, perSecond } from "./stats.ts";

const JOBS = 4000;
const CLAIMERS = 8;
const jobType = "bench_wal";

/** WAL written between two LSNs for one database, per job. */
interface WalCost {
  records: number;
  bytes: number;
  fpiBytes: number;
  indexEntries: number;
}

interface Measured {
  /** Everything the database's work wrote (and the commits). */
  total: WalCost;
  /** The part that touched realtime.messages (Kiln only). */
  realtime: WalCost;
  perSecond: number;
}

const ZERO: WalCost = { records: 0, bytes: 0, fpiBytes: 0, indexEntries: 0 };

/** The WAL between `from` and `to` for database `datname`, per job, split by whether it touched realtime.*. */
async function walCost(inspect: Database, datname: string, from: string, to: string, jobs: number) {
  const rows = await inspect.query<{ realtime: boolean } & Record<keyof WalCost, string>>(
    `with r as (
       select w.resource_manager as rm, w.record_type as rt, w.record_length as len, w.fpi_length as fpi,
              (regexp_match(w.block_ref, 'rel \\d+/(\\d+)/(\\d+)'))::oid[] as rel
         from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) w
     )
     select coalesce(c.relnamespace = 'realtime'::regnamespace, false) as realtime,
            count(*) as records, sum(r.len) as "bytes", sum(r.fpi) as "fpiBytes",
            count(*) filter (where r.rm in ('Btree', 'Hash', 'Gin', 'Gist', 'SPGist') and r.rt like 'INSERT%')
              as "indexEntries"
       from r
       left join pg_class c on c.relfilenode = r.rel[2] and $3 = current_database()
      where r.rel is null or r.rel[1] = (select oid from pg_database where datname = $3)
      group by 1`,
    [from, to, datname],
  );
  const per = (row?: Record<keyof WalCost, string>): WalCost =>
    row
      ? {
          records: Number(row.records) / jobs,
          bytes: Number(row.bytes) / jobs,
          fpiBytes: Number(row.fpiBytes) / jobs,
          indexEntries: Number(row.indexEntries) / jobs,
        }
      : ZERO;
  return { rest: per(rows.find((r) => !r.realtime)), realtime: per(rows.find((r) => r.realtime)) };
}

/** Where Kiln's WAL goes, per relation and record type, to stderr (where the bench's progress goes). */
async function printBreakdown(inspect: Database, from: string, to: string, jobs: number): Promise<void> {
  const rows = await inspect.query<{ rel: string; rm: string; rt: string; n: string; bytes: string }>(
    `select coalesce(c.relname, '(none)') as rel, w.resource_manager as rm, w.record_type as rt,
            count(*) as n, sum(w.record_length) as bytes
       from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) w
       left join pg_class c
         on c.relfilenode = ((regexp_match(w.block_ref, 'rel \\d+/\\d+/(\\d+)'))[1])::oid
      where w.block_ref is null or w.block_ref = ''
         or (regexp_match(w.block_ref, 'rel \\d+/(\\d+)/'))[1]::oid = (select oid from pg_database where datname = current_database())
      group by 1, 2, 3 order by sum(w.record_length) desc`,
    [from, to],
  );
  for (const r of rows) {
    const per = (v: string) => (Number(v) / jobs).toFixed(2).padStart(8);
    console.error(`  ${r.rel.padEnd(40)} ${`${r.rm}/${r.rt}`.padEnd(28)} ${per(r.n)} rec ${per(r.bytes)} B`);
  }
}

const lsn = async (db: Database) =>
  (await db.query<{ lsn: string }>("select pg_current_wal_insert_lsn()::text as lsn"))[0].lsn;

/** Runs `work` (which drains `jobs` jobs of database `datname`) between two LSNs; what it wrote and its rate. */
async function measure(inspect: Database, datname: string, jobs: number, work: () => Promise<void>): Promise<Measured> {
  await inspect.exec("checkpoint");
  // A slot holds the WAL from here on: other work on the server could otherwise get a checkpoint to recycle it.
  const slot = `kiln_bench_wal_${process.pid}`;
  await inspect.query("select pg_create_physical_replication_slot($1, true)", [slot]);
  try {
    return await measureHeld(inspect, datname, jobs, work);
  } finally {
    await inspect.query("select pg_drop_replication_slot($1)", [slot]);
  }
}

async function measureHeld(
  inspect: Database,
  datname: string,
  jobs: number,
  work: () => Promise<void>,
): Promise<Measured> {
  const from = await lsn(inspect);
  const start = performance.now();
  await work();
  const elapsed = performance.now() - start;
  const to = await lsn(inspect);
  // pg_walinspect reads only what is flushed: the WAL writer gets there within its delay (200 ms by default).
  await eventually(
    async () =>
      (await inspect.query<{ ok: boolean }>("select pg_current_wal_flush_lsn() >= $1::pg_lsn as ok", [to]))[0].ok,
    "the WAL flushed",
    10_000,
  );
  const { rest, realtime } = await walCost(inspect, datname, from, to, jobs);
  if (datname === (await inspect.query<{ d: string }>("select current_database() as d"))[0].d) {
    await printBreakdown(inspect, from, to, jobs);
  }
  return { total: rest, realtime, perSecond: perSecond(jobs, elapsed) };
}

async function kiln(ctx: BenchContext): Promise<Measured> {
  const owners = await createOwners(ctx.db, JOBS / 50);
  const workers = await createWorkers(ctx.db, CLAIMERS, [jobType]);
  await fillQueue(ctx.db, owners, jobType, JOBS);
  const [{ name }] = await ctx.db.query<{ name: string }>("select current_database() as name");
  const clients = await openClients(ctx.url, CLAIMERS);
  try {
    return await measure(ctx.db, name, JOBS, async () => {
      const { count } = await runFor(clients, 600_000, (client, i) => cycle(client, workers[i], jobType));
      if (count !== JOBS) throw new Error(`kiln: ${count} cycles for ${JOBS} jobs`);
    });
  } finally {
    await closeAll(clients);
    await resetJobs(ctx.db);
  }
}

async function graphileWorker(ctx: BenchContext): Promise<Measured> {
  const datname = "kiln_bench_graphile";
  const connectionString = await recreateDatabase(ctx.adminUrl, datname);
  const db = openPostgres(connectionString, { max: 1 });
  try {
    await graphileMigrations({ connectionString });
    await db.query("select graphile_worker.add_job('bench', json_build_object('i', g)) from generate_series(1, $1) g", [
      JOBS,
    ]);
    await db.exec("vacuum analyze");
    return await measure(ctx.db, datname, JOBS, async () => {
      let done = 0;
      let finish: () => void = () => {};
      const drained = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const runner = await runGraphileWorker({
        connectionString,
        concurrency: CLAIMERS,
        noHandleSignals: true,
        pollInterval: 1000,
        logger: new Logger(() => () => {}),
        taskList: {
          bench: async () => {
            if (++done === JOBS) finish();
          },
        },
      });
      await drained;
      await runner.stop();
    });
  } finally {
    await db.close();
    await dropDatabase(ctx.adminUrl, datname);
  }
}

async function pgBoss(ctx: BenchContext): Promise<Measured> {
  const datname = "kiln_bench_pgboss";
  const connectionString = await recreateDatabase(ctx.adminUrl, datname);
  const boss = new PgBoss({ connectionString, max: CLAIMERS + 2, supervise: false, schedule: false });
  let stopped = false;
  // Once stopped, its pool may still hold connections that dropping the database ends: not an error of the run.
  boss.on("error", (error) => stopped || console.error("pg-boss:", error));
  await boss.start();
  try {
    await boss.createQueue("bench");
    for (let i = 0; i < JOBS; i += 1000) {
      await boss.insert(
        Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ name: "bench", data: { i: i + k } })),
      );
    }
    return await measure(ctx.db, datname, JOBS, async () => {
      let done = 0;
      await Promise.all(
        Array.from({ length: CLAIMERS }, async () => {
          for (;;) {
            const [job] = await boss.fetch("bench");
            if (!job) return;
            await boss.complete("bench", job.id);
            done++;
          }
        }),
      );
      if (done !== JOBS) throw new Error(`pg-boss: ${done} jobs for ${JOBS}`);
    });
  } finally {
    await boss.stop({ graceful: false, wait: true });
    stopped = true;
    await dropDatabase(ctx.adminUrl, datname);
  }
}

const kb = (n: number) => `${Math.round(n).toLocaleString("en-US")} B`;
/**
 * Bytes, with the full page images apart: the bench checkpoints just before it drains a queue filled before, so the
 * first change of every page carries one. Where jobs are made and run between two checkpoints (minutes apart), the
 * cycle makes few: the figure without them is the steady state.
 */
const bytes = (c: WalCost) =>
  `${kb(c.bytes)} (${c.records.toFixed(1)} rec, FPI ${kb(c.fpiBytes)}; ${kb(c.bytes - c.fpiBytes)} without)`;

/** Section `wal`: WAL and index entries per claim + complete cycle, Kiln beside graphile-worker and pg-boss. */
export const walSection: BenchSection = {
  name: "wal",
  title: `WAL per claim + complete cycle (pg_walinspect), ${JOBS} jobs at ${CLAIMERS} claimers: Kiln, graphile-worker 0.16, pg-boss 10`,
  async run(ctx) {
    await ctx.db.exec("create extension if not exists pg_walinspect");
    const k = await kiln(ctx);
    const g = await graphileWorker(ctx);
    const b = await pgBoss(ctx);
    const rows: BenchRow[] = [
      {
        benchmark: "WAL bytes per claim+complete cycle",
        result: `Kiln ${bytes(k.total)} · graphile-worker ${bytes(g.total)} · pg-boss ${bytes(b.total)}`,
        target: "Kiln ≤ 800 B",
      },
      {
        benchmark: "WAL bytes per cycle in realtime.messages (WAL-logged on hosted)",
        result: `Kiln ${bytes(k.realtime)}, ${k.realtime.indexEntries.toFixed(1)} index entries`,
        target: "—",
      },
      {
        benchmark: "index entries per cycle",
        result: `Kiln ${k.total.indexEntries.toFixed(1)} · graphile-worker ${g.total.indexEntries.toFixed(1)} · pg-boss ${b.total.indexEntries.toFixed(1)}`,
        target: "Kiln ≤ 4",
      },
      {
        benchmark: `jobs claimed and completed/s, ${CLAIMERS} claimers, ${JOBS} queued`,
        result: `Kiln ${formatRate(k.perSecond)} · graphile-worker ${formatRate(g.perSecond)} · pg-boss ${formatRate(b.perSecond)}`,
        target: "—",
      },
    ];
    return rows;
  },
};
