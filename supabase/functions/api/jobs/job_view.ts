/**
 * One job as the API answers it: the summary, where it stands in the queue, warnings, and on request its
 * event log. Another owner's job is indistinguishable from a job that does not exist (404).
 */
import type postgres from "postgres";
import type { Job, JobSummary } from "../../../../shared/api/job_schema.ts";
import { fail } from "../http/errors.ts";

/** What kiln.queue_position answers. */
export interface QueueInfo {
  status: string;
  position: number | null;
  workers_online: number;
}

/** The job as the API answers it: the summary, its place in the queue, and what the client should know now. */
export function jobView(job: JobSummary, queue: QueueInfo): Job {
  const warnings =
    job.status === "queued" && queue.workers_online === 0
      ? [`No online worker can run ${job.type} jobs right now; the job will wait in the queue.`]
      : [];
  return { ...job, queue: { position: queue.position, workers_online: queue.workers_online }, warnings };
}

/** `owner`'s job `id` with its queue position and warnings (and events, if asked), or 404. */
export async function loadJob(
  sql: postgres.Sql,
  id: string,
  owner: string,
  options: { events?: boolean } = {},
): Promise<Job> {
  const [row] = await sql<{ job: JobSummary; queue: QueueInfo }[]>`
    select kiln.job_summary(j) as job, kiln.queue_position(j.id) as queue
      from public.jobs j where j.id = ${id} and j.owner_id = ${owner}`;
  if (!row) fail("not_found", `No job ${id}.`);
  const job = jobView(row.job, row.queue);
  if (options.events) {
    job.events = await sql<NonNullable<Job["events"]>>`
      select e.id, e.type, e.status, e.data, to_jsonb(e.created_at) #>> '{}' as created_at
        from public.job_events e where e.job_id = ${id} order by e.seq`;
  }
  return job;
}
