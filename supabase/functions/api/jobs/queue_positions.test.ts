/** Queue positions from per-isolate snapshots: the key arithmetic, and positions against a real queue. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import postgres from "postgres";
import type { JobSummary } from "../../../../shared/api/job_schema.ts";
import { type ApiHarness, startApiHarness } from "../testing/api_harness.ts";
import { onlineWorker } from "../testing/job_fixtures.ts";
import { epochMicros, jobsAhead, queuePositions } from "./queue_positions.ts";

describe("epochMicros", () => {
  it("keeps every microsecond of a Postgres timestamp, whatever its zone", () => {
    const ms = Date.parse("2026-11-23T23:59:54Z");
    assert.equal(epochMicros("2026-11-23T23:59:54.123456+00:00"), ms * 1000 + 123456);
    assert.equal(epochMicros("2026-11-23T23:59:54.1+00:00"), ms * 1000 + 100000);
    assert.equal(epochMicros("2026-11-23T23:59:54Z"), ms * 1000);
    assert.equal(epochMicros("2026-11-24T01:59:54.000007+02:00"), ms * 1000 + 7);
    assert.equal(epochMicros("2026-11-24T01:59:54.000007+02"), ms * 1000 + 7);
    assert.throws(() => epochMicros("yesterday"), /not a timestamp/);
  });
});

describe("jobsAhead", () => {
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  const place = (priority: number, queueTag: number, runAfterUs: number, n: number) => ({
    priority,
    queueTag,
    runAfterUs,
    id: id(n),
  });
  it("counts keys claimed first: higher priority, then an earlier turn, then earlier, then lower id", () => {
    const keys: [number, number, number, number, string][] = [
      [0, 5, 3, 100, id(9)],
      [1, 0, 0, 100, id(1)],
      [2, 0, 0, 100, id(3)],
      [3, 0, 0, 200, id(0)],
      [4, 0, 1, 50, id(0)],
    ];
    assert.equal(jobsAhead(keys, place(9, 0, 999, 0)), 0, "a higher priority goes first");
    assert.equal(jobsAhead(keys, place(0, 0, 100, 2)), 2);
    assert.equal(jobsAhead(keys, place(0, 0, 150, 0)), 3);
    assert.equal(jobsAhead(keys, place(0, 0, 300, 0)), 4, "an earlier turn goes first, however young");
    assert.equal(jobsAhead(keys, place(0, 1, 10, 0)), 4, "a later turn goes behind, however old");
    assert.equal(jobsAhead(keys, place(0, 2, 10, 0)), 5);
    assert.equal(jobsAhead(keys, place(-1, 0, 0, 0)), 5, "a lower priority goes last");
    assert.equal(jobsAhead([], place(0, 0, 0, 0)), 0);
  });

  it("gives the lower bound between two sampled keys", () => {
    // Exact to 2, then every 100th: the job between aheads 100 and 200 has at least 101 ahead.
    const keys: [number, number, number, number, string][] = [
      [0, 0, 0, 1, id(0)],
      [1, 0, 1, 2, id(0)],
      [100, 0, 100, 101, id(0)],
      [200, 0, 200, 201, id(0)],
    ];
    assert.equal(jobsAhead(keys, place(0, 150, 150, 0)), 101);
    assert.equal(jobsAhead(keys, place(0, 500, 500, 0)), 201);
  });
});

describe("queuePositions", () => {
  let h: ApiHarness;
  let sql: postgres.Sql;
  before(async () => {
    h = await startApiHarness();
    sql = postgres(h.target.functionsDbUrl, { prepare: false, max: 2, onnotice: () => {} });
  });
  after(async () => {
    await sql.end();
    await h.close();
  });

  type Queued = JobSummary & { tag: number };
  const create = async (owner: string, type: string, priority = 0): Promise<Queued> => {
    const [{ result }] = await h.sql<{ result: { job: JobSummary; queue_tag: number } }[]>`
      select kiln.create_job(p_owner_id => ${owner}, p_type => ${type}, p_params => '{}', p_cost => 1,
                             p_priority => ${priority}) as result`;
    return { ...result.job, tag: result.queue_tag };
  };
  const reload = async (job: Queued): Promise<Queued> => {
    const [{ summary }] = await h.sql<{ summary: JobSummary }[]>`
      select kiln.job_summary(j) as summary from public.jobs j where j.id = ${job.id}`;
    return { ...summary, tag: job.tag };
  };

  it("places queued jobs in claim order, as of a snapshot refreshed before it is maxAgeMs old", async () => {
    const type = `pos_${randomUUID().slice(0, 8)}`;
    const user = await h.user();
    await onlineWorker(h.sql, [type]);
    const first = await create(user.id, type);
    const second = await create(user.id, type);
    const urgent = await create(user.id, type, 10);
    const positions = queuePositions(sql, { maxAgeMs: 2000 });
    const at = async (job: Queued) => (await positions.of(job, job.tag)).position;
    const taken = Date.now();
    assert.deepEqual(await positions.of(urgent, urgent.tag), {
      position: 1,
      workers_online: 1,
      workers_able: 1,
      missing: {},
    });
    assert.equal(await at(first), 2);
    assert.equal(await at(second), 3);

    // Within maxAgeMs the snapshot stands: a new job goes behind the jobs it holds, a claimed job still counts.
    const third = await create(user.id, type);
    await h.sql`update public.jobs set status = 'canceled', finished_at = now() where id = ${urgent.id}`;
    assert.equal(await at(third), 4);
    assert.equal(await at(first), 2);
    assert.equal(await at(await reload(urgent)), null, "a job that is not queued has no position");

    // Refreshed in the background from half of maxAgeMs (later if the snapshot cost more than maxAgeMs / 40).
    let refreshed: number | undefined;
    for (let waited = 0; waited < 5000 && refreshed === undefined; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if ((await at(first)) === 1) refreshed = Date.now() - taken;
    }
    assert.ok(refreshed !== undefined && refreshed >= 1000, `refreshed after ${refreshed} ms`);
    assert.equal(await at(third), 3);
  });

  it("counts for every request with maxAgeMs 0; otherwise concurrent requests agree on one snapshot", async () => {
    const type = `pos_${randomUUID().slice(0, 8)}`;
    const user = await h.user();
    const jobs = [await create(user.id, type), await create(user.id, type)];
    const exact = queuePositions(sql, { maxAgeMs: 0 });
    assert.deepEqual(await exact.of(jobs[1], jobs[1].tag), {
      position: 2,
      workers_online: 0,
      workers_able: 0,
      missing: {},
    });
    await onlineWorker(h.sql, [type]);
    await h.sql`update public.jobs set status = 'canceled', finished_at = now() where id = ${jobs[0].id}`;
    assert.deepEqual(await exact.of(jobs[1], jobs[1].tag), {
      position: 1,
      workers_online: 1,
      workers_able: 1,
      missing: {},
    });

    const cached = queuePositions(sql, { maxAgeMs: 60_000 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => cached.of(jobs[1], jobs[1].tag)));
    assert.ok(answers.every((a) => a.position === 1));
    const late = await create(user.id, type);
    assert.equal((await cached.of(late, late.tag)).position, 2);
  });

  it("interleaves accounts by turn, as claims do, and places a job created since by its turn", async () => {
    const type = `pos_${randomUUID().slice(0, 8)}`;
    const [a, b] = [await h.user(), await h.user()];
    const worker = await onlineWorker(h.sql, [type]);
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push(await create(a.id, type));
    const exact = queuePositions(sql, { maxAgeMs: 0 });
    const cached = queuePositions(sql, { maxAgeMs: 60_000 });
    assert.equal((await cached.of(burst[3], burst[3].tag)).position, 4);
    const single = await create(b.id, type);
    const at = async (job: Queued) => (await exact.of(job, job.tag)).position;
    assert.equal(await at(burst[0]), 1);
    assert.equal(await at(single), 2, "B's one job goes after A's first, not after A's burst");
    assert.equal(await at(burst[1]), 3);
    assert.equal(await at(burst[3]), 5);
    assert.equal((await cached.of(single, single.tag)).position, 2, "created since the snapshot: placed by its turn");

    const claimed = await h.sql<{ id: string }[]>`select id from kiln.claim_jobs(${worker}, ${[type]}::text[], 2)`;
    assert.deepEqual(
      claimed.map((j) => j.id),
      [burst[0].id, single.id],
      "the claims agree",
    );
  });

  it("counts the jobs ahead that the workers able to run the job could take", async () => {
    const type = `pos_${randomUUID().slice(0, 8)}`;
    const user = await h.user();
    const [wx, wy] = [await onlineWorker(h.sql, [type]), await onlineWorker(h.sql, [type])];
    const can = (worker: string, checkpoints: string[]) =>
      h.sql`update public.workers set capabilities = ${h.sql.json({ can: { checkpoints } })} where id = ${worker}`;
    await can(wx, ["x"]);
    await can(wy, ["y"]);
    const needs = async (checkpoint: string) => {
      const job = await create(user.id, type);
      const [{ summary }] = await h.sql<{ summary: JobSummary }[]>`
        update public.jobs j set requirements = ${h.sql.json({ checkpoints: [checkpoint] })} where j.id = ${job.id}
        returning kiln.job_summary(j) as summary`;
      return { ...summary, tag: job.tag };
    };
    const [x1, y1, x2] = [await needs("x"), await needs("y"), await needs("x")];
    const exact = queuePositions(sql, { maxAgeMs: 0 });
    const at = async (job: Queued) => (await exact.of(job, job.tag)).position;
    assert.deepEqual([await at(x1), await at(y1), await at(x2)], [1, 1, 2], "y1 goes to the other worker");
    // A worker that has both: y1 may now be taken by a worker that could run x2.
    await can(wy, ["x", "y"]);
    assert.equal(await at(x2), 3);
    const nowhere = await needs("z");
    assert.deepEqual(await exact.of(nowhere, nowhere.tag), {
      position: 4,
      workers_online: 2,
      workers_able: 0,
      missing: { checkpoints: ["z"] },
    });
  });
});
