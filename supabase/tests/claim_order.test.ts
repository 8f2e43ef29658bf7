/** The order of claims: priority, then fair share between accounts, then the worker's loaded model, then age. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createJob, createUser, createWorker, setSetting } from "./helpers/fixtures.ts";
import { useLifecycleDatabase } from "./helpers/lifecycle_database.ts";

const l = useLifecycleDatabase();

/** A job type of its own per test, so tests do not take each other's jobs. */
const newType = () => `order_${randomUUID().slice(0, 8)}`;

/** Ids claimed by `worker`, one claim of `n`, with `loaded` checkpoints reported. */
async function claimIds(worker: string, type: string, n: number, loaded: string[] | null = null): Promise<string[]> {
  const rows = await l.db.query<{ id: string }>("select id from kiln.claim_jobs($1, $2, $3, null, $4)", [
    worker,
    [type],
    n,
    loaded,
  ]);
  return rows.map((r) => r.id);
}

/** `count` jobs of `owner`, each needing `checkpoint` when given; their ids in order of creation. */
async function queue(owner: string, type: string, count: number, checkpoint?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { job } = await createJob(l.db, owner, { type });
    if (checkpoint) {
      await l.db.query("update public.jobs set requirements = $2 where id = $1", [
        job.id,
        { checkpoints: [checkpoint] },
      ]);
    }
    ids.push(job.id);
  }
  return ids;
}

describe("fair share", () => {
  it("interleaves accounts, so one account's burst does not starve another's job", async () => {
    const type = newType();
    const [a, b] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    const burst = await queue(a, type, 6);
    const single = await queue(b, type, 2);
    // A's first goes first (older); then turns alternate while both have jobs queued.
    assert.deepEqual(await claimIds(worker, type, 4), [burst[0], single[0], burst[1], single[1]]);
    assert.deepEqual(await claimIds(worker, type, 10), burst.slice(2), "a lone account gets every slot");
  });

  it("queues a newcomer's job at the front of the queue, not behind the burst already running", async () => {
    const type = newType();
    const [a, b] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    const burst = await queue(a, type, 6);
    assert.deepEqual(await claimIds(worker, type, 3), burst.slice(0, 3));
    const late = await queue(b, type, 2);
    assert.deepEqual(await claimIds(worker, type, 4), [burst[3], late[0], burst[4], late[1]]);
  });

  it("keeps an account's own jobs in order, and its turn when it queues more later", async () => {
    const type = newType();
    const [a, b] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    const first = await queue(a, type, 2);
    const other = await queue(b, type, 1);
    const more = await queue(a, type, 1);
    assert.deepEqual(await claimIds(worker, type, 4), [first[0], other[0], first[1], more[0]]);
  });

  it("puts priority before fair share", async () => {
    const type = newType();
    const [a, b] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    const normal = await queue(b, type, 1);
    const urgent = [];
    for (let i = 0; i < 2; i++) urgent.push((await createJob(l.db, a, { type, priority: 10 })).job.id);
    assert.deepEqual(await claimIds(worker, type, 3), [...urgent, ...normal]);
  });

  it("gives an account of weight 2 two turns for each of a weight-1 account's", async () => {
    const type = newType();
    const [a, b] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    await l.db.query("update public.profiles set queue_weight = 2 where id = $1", [b]);
    const light = await queue(a, type, 3);
    const heavy = await queue(b, type, 4);
    assert.deepEqual(await claimIds(worker, type, 7), [
      light[0],
      heavy[0],
      heavy[1],
      light[1],
      heavy[2],
      heavy[3],
      light[2],
    ]);
  });

  it("is first come, first served by priority for jobs queued with fair_share off", async () => {
    const type = newType();
    const [a, b] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    await setSetting(l.db, "fair_share", false);
    try {
      const burst = await queue(a, type, 3);
      const single = await queue(b, type, 1);
      assert.deepEqual(await claimIds(worker, type, 4), [...burst, ...single]);
    } finally {
      await setSetting(l.db, "fair_share", true);
    }
  });

  it("caps an account's running jobs where asked, per account or by default, without idling the others", async () => {
    const type = newType();
    const [a, b] = [await createUser(l.db), await createUser(l.db)];
    const worker = await createWorker(l.db, [type]);
    const aJobs = await queue(a, type, 4);
    const bJobs = await queue(b, type, 4);
    await l.db.query("update public.profiles set max_running_jobs = 1 where id = $1", [a]);
    assert.deepEqual(await claimIds(worker, type, 8), [aJobs[0], ...bJobs], "A holds 1, B is not capped");
    assert.deepEqual(await claimIds(worker, type, 8), [], "A is at its cap");
    await l.db.query("update public.profiles set max_running_jobs = null where id = $1", [a]);
    await setSetting(l.db, "max_running_jobs", 2);
    try {
      assert.deepEqual(await claimIds(worker, type, 8), [aJobs[1]], "the default cap: 2 running");
    } finally {
      await setSetting(l.db, "max_running_jobs", 0);
    }
  });
});

describe("model affinity", () => {
  it("prefers jobs for the worker's loaded checkpoint, then takes the rest by age", async () => {
    const type = newType();
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, [type]);
    const [x1] = await queue(owner, type, 1, "x.safetensors");
    const [y1] = await queue(owner, type, 1, "y.safetensors");
    const [x2] = await queue(owner, type, 1, "x.safetensors");
    const [any] = await queue(owner, type, 1);
    assert.deepEqual(await claimIds(worker, type, 1, ["y.safetensors"]), [y1]);
    assert.deepEqual(await claimIds(worker, type, 2, ["y.safetensors"]), [any, x1], "no checkpoint named: any will do");
    assert.deepEqual(await claimIds(worker, type, 1, null), [x2], "a worker that reports none: by age");
  });

  it("never passes over a job that has waited model_affinity_wait_seconds", async () => {
    const type = newType();
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, [type]);
    const [old] = await queue(owner, type, 1, "x.safetensors");
    const [fresh] = await queue(owner, type, 1, "y.safetensors");
    await l.db.query("update public.jobs set run_after = now() - interval '61 seconds' where id = $1", [old]);
    assert.deepEqual(await claimIds(worker, type, 1, ["y.safetensors"]), [old], "waited past the 60 s bound");
    assert.deepEqual(await claimIds(worker, type, 1, ["y.safetensors"]), [fresh]);
  });

  it("is off at model_affinity_wait_seconds 0", async () => {
    const type = newType();
    const owner = await createUser(l.db);
    const worker = await createWorker(l.db, [type]);
    const [x] = await queue(owner, type, 1, "x.safetensors");
    await queue(owner, type, 1, "y.safetensors");
    await setSetting(l.db, "model_affinity_wait_seconds", 0);
    try {
      assert.deepEqual(await claimIds(worker, type, 1, ["y.safetensors"]), [x]);
    } finally {
      await setSetting(l.db, "model_affinity_wait_seconds", 60);
    }
  });
});
