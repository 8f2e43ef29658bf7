/**
 * One job as the API answers it: the summary, where it stands in the queue, warnings, and on request its
 * event log. Another owner's job is indistinguishable from a job that does not exist (404).
 */
import type postgres from "postgres";
import type { Job, JobSummary } from "../../../../shared/api/job_schema.ts";
import { ANY_MODEL, type Requirements } from "../../../../shared/comfyui/requirements.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { QueuePositions } from "./queue_positions.ts";
import { uuidLiteral } from "./uuid_literal.ts";

/** What a job's answer needs: the pool, and the queue snapshots that place it. */
export interface JobViewDeps {
  sql: postgres.Sql;
  positions: QueuePositions;
}

/** The job (with its queue tag) as the API answers it: the summary, its place in the queue, and what to know now. */
export async function jobView(positions: QueuePositions, job: JobSummary, queueTag: number): Promise<Job> {
  const { missing, ...queue } = await positions.of(job, queueTag);
  return { ...job, queue, warnings: job.status === "queued" ? waitingWarnings(job, queue, missing) : [] };
}

/** Why a queued job may wait for good: no worker of its type online, or none whose ComfyUI has what it needs. */
function waitingWarnings(job: JobSummary, queue: Job["queue"], missing: Requirements): string[] {
  if (queue.workers_online === 0) {
    return [`No online worker can run ${job.type} jobs right now; the job will wait in the queue.`];
  }
  if (queue.workers_able > 0) return [];
  const lacking = Object.entries(missing)
    .map(([kind, names]) => `${kind} ${(names ?? []).map((n) => (n === ANY_MODEL ? "(any)" : n)).join(", ")}`)
    .join("; ");
  return [
    `No online worker's ComfyUI has what this job needs (missing: ${lacking}); it will wait until a worker that has it registers.`,
  ];
}

/** `owner`'s job `id` with its queue position and warnings (and events, if asked), or 404. */
export async function loadJob(
  deps: JobViewDeps,
  id: string,
  owner: string,
  options: { events?: boolean } = {},
): Promise<Job> {
  // Literals, not parameters: see uuid_literal.ts (one round trip instead of two on every poll).
  const jobId = uuidLiteral(id);
  const [row] = await deps.sql.unsafe<{ job: JobSummary; queue_tag: number }[]>(
    `select kiln.job_summary(j) as job, j.queue_tag::float8 as queue_tag from public.jobs j where j.id = ${jobId} and j.owner_id = ${uuidLiteral(owner)}`,
  );
  if (!row) fail("not_found", `No job ${id}.`);
  const job = await jobView(deps.positions, row.job, row.queue_tag);
  if (options.events) {
    job.events = await deps.sql.unsafe<NonNullable<Job["events"]>>(
      `select e.id, e.type, e.status, e.data, to_jsonb(e.created_at) #>> '{}' as created_at
         from public.job_events e where e.job_id = ${jobId} order by e.seq`,
    );
  }
  return job;
}
