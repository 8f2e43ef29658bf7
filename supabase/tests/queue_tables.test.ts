/**
 * kiln.job_queue and kiln.job_running follow each job's status (a trigger on jobs keeps them), and nothing indexed on
 * jobs changes in a claim + complete cycle, so its updates can stay on the row's page (HOT). A job's events go with
 * it through triggers too (no foreign key locks the job's row for each event).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { claim, createJob, createUser, createWorker, eventTypes } from "./helpers/fixtures.ts";
import { useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const l = useLifecycleDatabase();

const newType = () => `qt_${randomUUID().slice(0, 8)}`;

/** Where job `id` is: "queue", "running", both, or neither ([]). */
async function whereIs(id: string): Promise<string[]> {
  const rows = await l.db.query<{ t: string }>(
    `select 'queue' as t from kiln.job_queue where job_id = $1
     union all
     select 'running' from kiln.job_running where job_id = $1`,
    [id],
  );
  return rows.map((r) => r.t);
}

describe("the queued and running tables", () => {
  it("hold a job while it is queued, then while it runs, and neither once it has finished", async () => {
    const type = newType();
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, [type]);
    const { job } = await createJob(l.db, owner, { type });
    assert.deepEqual(await whereIs(job.id), ["queue"]);

    const [first] = await claim(l.db, worker, 1, [type]);
    assert.equal(first.id, job.id);
    assert.deepEqual(await whereIs(job.id), ["running"]);
    const [running] = await l.db.query<{ worker_id: string }>(
      "select worker_id from kiln.job_running where job_id = $1",
      [job.id],
    );
    assert.equal(running.worker_id, worker);

    // A retryable failure queues it again, and it is claimable from there.
    await l.call("kiln.fail_job($1, $2, $3, $4)", [job.id, worker, first.fencing_token, { retryable: true }]);
    assert.deepEqual(await whereIs(job.id), ["queue"]);
    const [second] = await claim(l.db, worker, 1, [type]);
    assert.equal(second.id, job.id);

    await l.call("kiln.complete_job($1, $2, $3, '[]')", [job.id, worker, second.fencing_token]);
    assert.deepEqual(await whereIs(job.id), []);
  });

  it("follow a queued job's claim keys when they change", async () => {
    const type = newType();
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, [type]);
    const { job: older } = await createJob(l.db, owner, { type });
    const { job: urgent } = await createJob(l.db, owner, { type });
    await l.db.query("update public.jobs set priority = 50 where id = $1", [urgent.id]);
    const [row] = await l.db.query<{ priority: number }>("select priority from kiln.job_queue where job_id = $1", [
      urgent.id,
    ]);
    assert.equal(row.priority, 50);
    assert.deepEqual(
      (await claim(l.db, worker, 2, [type])).map((j) => j.id),
      [urgent.id, older.id],
    );
  });

  it("lose a job that is deleted, and everything when jobs is truncated", async () => {
    const type = newType();
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, [type]);
    const { job: queued } = await createJob(l.db, owner, { type });
    const { job: running } = await createJob(l.db, owner, { type });
    await l.db.query("update public.jobs set priority = 1 where id = $1", [running.id]);
    await claim(l.db, worker, 1, [type]);
    assert.deepEqual(await whereIs(running.id), ["running"]);
    await l.db.query("delete from public.jobs where id = any($1)", [[queued.id, running.id]]);
    assert.deepEqual([...(await whereIs(queued.id)), ...(await whereIs(running.id))], []);

    await createJob(l.db, owner, { type });
    await claim(l.db, worker, 1, [type]);
    await createJob(l.db, owner, { type });
    await l.db.exec("truncate public.jobs cascade");
    const [left] = await l.db.query<{ n: number }>(
      "select (select count(*) from kiln.job_queue) + (select count(*) from kiln.job_running) as n",
    );
    assert.equal(Number(left.n), 0);
  });

  it("take a job's events with it: a deleted job, a deleted account's jobs, and all of them on truncate", async () => {
    const type = newType();
    const [owner, other] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    const { job: gone } = await createJob(l.db, owner, { type });
    const { job: kept } = await createJob(l.db, owner, { type });
    const { job: theirs } = await createJob(l.db, other, { type });
    const [claimed] = await claim(l.db, worker, 1, [type]);
    await l.call("kiln.complete_job($1, $2, $3, '[]')", [claimed.id, worker, claimed.fencing_token]);
    assert.deepEqual(await eventTypes(l.db, gone.id), ["job.queued", "job.started", "job.succeeded"]);

    await l.db.query("delete from public.jobs where id = $1", [gone.id]);
    assert.deepEqual(await eventTypes(l.db, gone.id), []);
    assert.deepEqual(await eventTypes(l.db, kept.id), ["job.queued"]);
    // Deleting an account deletes its jobs (their foreign key), and with them their events.
    await l.db.query("delete from auth.users where id = $1", [other]);
    assert.deepEqual(await eventTypes(l.db, theirs.id), []);
    assert.deepEqual(await eventTypes(l.db, kept.id), ["job.queued"]);

    await l.db.exec("truncate public.jobs cascade");
    const [left] = await l.db.query<{ n: number }>("select count(*) as n from public.job_events");
    assert.equal(Number(left.n), 0);
  });

  it("carry every index that depends on a job's state: none on jobs names a column a cycle changes", async () => {
    // What claims, heartbeats and reports set. An index naming one (in its key or its predicate) would make every
    // such update a new row version elsewhere, with an entry in every index of the table.
    const changed = [
      "status",
      "phase",
      "progress",
      "attempts",
      "lease_expires_at",
      "worker_id",
      "fencing_token",
      "cancel_requested",
      "outputs",
      "error",
      "claimed_at",
      "started_at",
      "finished_at",
      "run_after",
    ];
    const indexes = await l.db.query<{ name: string; def: string }>(
      `select c.relname as name, pg_get_indexdef(i.indexrelid) as def
         from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = 'public.jobs'::regclass`,
    );
    assert.ok(indexes.length > 0);
    for (const { name, def } of indexes) {
      const named = changed.filter((column) => new RegExp(`\\b${column}\\b`).test(def));
      assert.deepEqual(named, [], `${name}: ${def}`);
    }
  });
});
