/**
 * Where a job stands in its type's queue, placed in a per-isolate snapshot of the claim order
 * (kiln.queue_snapshot) instead of counted on every request: counting visits every job ahead, which made a poll
 * of a job deep in the queue cost O(depth). A snapshot is used until it is `maxAgeMs` old, or 40 × what its query
 * cost the server if that is longer, and refreshed in the background from half that age: under steady traffic no
 * request waits for one, and a very deep queue costs Postgres at most ~5% of one connection per type and isolate.
 * Concurrent requests for one type share one refresh. `maxAgeMs` 0 takes a snapshot for every request (exact).
 *
 * Positions follow the claim order (kiln.claim_jobs): priority, then the job's queue tag (its account's turn: fair
 * share), then age; and they count only the jobs ahead that the workers able to run the job could take (the
 * snapshot keeps the order per set of able workers, a class). The snapshot holds each class's order whole among its
 * first EXACT_KEYS jobs and one in SAMPLE_EVERY beyond: a position is exact as of the snapshot, and a lower bound
 * (within SAMPLE_EVERY per class) past that. A job created since is placed by its own key. A position can grow:
 * another account's new job takes its turn ahead of a deep backlog. A worker may take a job for the checkpoint it has
 * loaded a little early (bounded by `model_affinity_wait_seconds`); positions do not guess at that. While no online
 * worker can run the job, every job of its type ahead counts.
 */
import type postgres from "postgres";
import type { JobSummary } from "../../../../shared/api/job_schema.ts";
import { missingFrom, type Requirements } from "../../../../shared/comfyui/requirements.ts";

/** Which of the online workers (`can` each, by number) can run a job needing `requirements`, and what none has. */
function ableWorkers(
  workersCan: (Requirements | null)[],
  requirements: Requirements,
): { able: number[]; missing: Requirements } {
  const lacks = workersCan.map((can) => (can === null ? {} : missingFrom(can, judged(can, requirements))));
  const able = lacks.flatMap((missing, n) => (Object.keys(missing).length === 0 ? [n] : []));
  if (able.length > 0 || lacks.length === 0) return { able, missing: {} };
  // Missing everywhere: a name is missing when no worker has it.
  const missing: Requirements = {};
  for (const [kind, names] of Object.entries(requirements)) {
    const nowhere = (names ?? []).filter((name) => lacks.every((l) => l[kind]?.includes(name)));
    if (nowhere.length > 0) missing[kind] = nowhere;
  }
  return { able, missing: Object.keys(missing).length > 0 ? missing : lacks[0] };
}

/** What is judged against a worker: node types only where it reported them (kiln.claim_jobs does the same). */
function judged(can: Requirements, requirements: Requirements): Requirements {
  if (can.node_types) return requirements;
  const { node_types: _, ...models } = requirements;
  return models;
}

/** How many keys at the front of a queue the snapshot holds exactly; beyond, one in SAMPLE_EVERY. */
export const EXACT_KEYS = 10_000;
export const SAMPLE_EVERY = 100;
/** A snapshot lasts at least this many times what it cost (its background refresh starts at half that). */
const REFRESH_COST_FACTOR = 40;

/** Where a job stands: its place among claimable jobs of its type (null unless queued), and who can run it. */
export interface QueueInfo {
  position: number | null;
  workers_online: number;
  /** Online workers of its type whose ComfyUI has what the job needs. */
  workers_able: number;
  /** What no online worker has, by kind; empty when some worker can run the job (or none is online). */
  missing: Requirements;
}

/** A claimable job's place in the claim order: [jobs ahead of it, priority, queue tag, run_after (µs), id]. */
type QueueKey = [ahead: number, priority: number, queueTag: number, runAfterUs: number, id: string];

/** What places a job among the keys. */
interface Place {
  priority: number;
  queueTag: number;
  runAfterUs: number;
  id: string;
}

interface Snapshot {
  takenAt: number;
  /** What the snapshot's query cost the server (ms). */
  costMs: number;
  workersOnline: number;
  /** What each online worker of the type has (null: not reported, so not judged). */
  workersCan: (Requirements | null)[];
  /** Per set of able workers (numbers in `workersCan`), its jobs' claim order: priority descending, tag, age, id. */
  classes: QueueClass[];
}

interface QueueClass {
  able: number[];
  keys: QueueKey[];
}

export interface QueuePositions {
  /** `job`'s place in its type's queue and the workers online for its type. */
  of(
    job: Pick<JobSummary, "id" | "type" | "status" | "priority" | "run_after" | "requirements">,
    queueTag: number,
  ): Promise<QueueInfo>;
}

/** Microseconds since the epoch of a Postgres JSON timestamp ("2026-11-23T23:59:54.123456+00:00"). */
export function epochMicros(timestamp: string): number {
  const match = /^([^.]+?)(?:\.(\d{1,6}))?(Z|[+-]\d\d(?::?\d\d)?)$/.exec(timestamp);
  if (!match) throw new Error(`not a timestamp: ${timestamp}`);
  const [, seconds, fraction = "", zone] = match;
  const whole = Date.parse(`${seconds}${zone.length === 3 ? `${zone}:00` : zone}`);
  if (Number.isNaN(whole)) throw new Error(`not a timestamp: ${timestamp}`);
  return whole * 1000 + Number(fraction.padEnd(6, "0"));
}

/** Whether key `a` is claimed before the job at `place`. */
function before(a: QueueKey, place: Place): boolean {
  if (a[1] !== place.priority) return a[1] > place.priority;
  if (a[2] !== place.queueTag) return a[2] < place.queueTag;
  if (a[3] !== place.runAfterUs) return a[3] < place.runAfterUs;
  return a[4] < place.id;
}

/** How many jobs of `keys` are claimed before the job at `place`: exact among consecutive keys, else the sampled bound. */
export function jobsAhead(keys: QueueKey[], place: Place): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (before(keys[mid], place)) low = mid + 1;
    else high = mid;
  }
  return low === 0 ? 0 : keys[low - 1][0] + 1;
}

/** Queue positions from snapshots of `sql`'s queues, each at most `maxAgeMs` old. */
export function queuePositions(sql: postgres.Sql, options: { maxAgeMs: number }): QueuePositions {
  const snapshots = new Map<string, Snapshot>();
  const refreshing = new Map<string, Promise<Snapshot>>();

  const take = async (type: string): Promise<Snapshot> => {
    const [{ snapshot }] = await sql<
      {
        snapshot: {
          workers_online: number;
          workers_can: (Requirements | null)[];
          cost_ms: number;
          classes: QueueClass[];
        };
      }[]
    >`
      select kiln.queue_snapshot(${type}, ${EXACT_KEYS}, ${SAMPLE_EVERY}) as snapshot`;
    const taken = {
      takenAt: Date.now(),
      costMs: snapshot.cost_ms,
      workersOnline: snapshot.workers_online,
      workersCan: snapshot.workers_can,
      classes: snapshot.classes,
    };
    snapshots.set(type, taken);
    return taken;
  };

  /** The refresh of `type` in flight, or a new one. A failure reaches whoever awaits it, and no one else. */
  const refresh = (type: string): Promise<Snapshot> => {
    let running = refreshing.get(type);
    if (!running) {
      running = take(type).finally(() => refreshing.delete(type));
      running.catch(() => {});
      refreshing.set(type, running);
    }
    return running;
  };

  const current = (type: string): Promise<Snapshot> => {
    // Exact mode: a request that joined a refresh begun before it could miss a change made just before it.
    if (options.maxAgeMs === 0) return take(type);
    const held = snapshots.get(type);
    const age = held ? Date.now() - held.takenAt : Number.POSITIVE_INFINITY;
    const due = held ? Math.max(options.maxAgeMs, held.costMs * REFRESH_COST_FACTOR) : 0;
    // Refreshed in the background from half its age, so under steady traffic no request waits for a snapshot.
    if (age >= due / 2) void refresh(type);
    return held && age < due ? Promise.resolve(held) : refresh(type);
  };

  return {
    async of(job, queueTag) {
      const snapshot = await current(job.type);
      const { able, missing } = ableWorkers(snapshot.workersCan, job.requirements);
      const place = { priority: job.priority, queueTag, runAfterUs: epochMicros(job.run_after), id: job.id };
      // The jobs ahead that a worker able to run this one could take (every one, while none can).
      const shared = snapshot.classes.filter((c) => able.length === 0 || c.able.some((n) => able.includes(n)));
      const ahead = shared.reduce((sum, c) => sum + jobsAhead(c.keys, place), 0);
      return {
        position: job.status === "queued" ? ahead + 1 : null,
        workers_online: snapshot.workersOnline,
        workers_able: able.length,
        missing,
      };
    },
  };
}
