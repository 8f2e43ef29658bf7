/**
 * Checks shared by the routes that act on one job (uploads, complete, fail, canceled): does this worker hold
 * it with this fencing token (kiln.lock_held_job decides, so the rule lives in SQL once), and where do its
 * outputs go: `<owner>/<job>/<name>` in the `outputs` bucket, nowhere else.
 */
import type postgres from "postgres";
import { UploadsRequest } from "../../../../shared/worker_protocol.ts";
import { type KickTarget, kickDispatch } from "../../_shared/dispatch_kick.ts";

/** The owner of job `jobId` if `workerId` holds it with `token`; else 404 not_found or 409 lease_lost. */
export async function heldJobOwner(sql: postgres.Sql, jobId: string, workerId: string, token: string): Promise<string> {
  const [row] = await sql<{ owner_id: string }[]>`
    select owner_id from kiln.lock_held_job(${jobId}, ${workerId}, ${token}::bigint)`;
  return row.owner_id;
}

/** The folder of a job's outputs in the `outputs` bucket. */
export function outputFolder(ownerId: string, jobId: string): string {
  return `${ownerId}/${jobId}/`;
}

const FileName = UploadsRequest.shape.files.element.shape.name;

/** Whether `path` is a file directly in `folder` with a name the uploads call would give. */
export function isOutputPath(path: string, folder: string): boolean {
  return path.startsWith(folder) && FileName.safeParse(path.slice(folder.length)).success;
}

/** The job summary a report answers with (kiln.job_summary). */
export interface ReportedJob {
  job: { id: string; status: string; attempts: number } & Record<string, unknown>;
}

/**
 * Runs a report (`select kiln.<report>(…) as job`) and answers with the job as it stands now. The report wrote
 * the job's webhook deliveries: the dispatcher named by `kick` is kicked to send them at once.
 */
export async function reportJob(query: postgres.PendingQuery<ReportedJob[]>, kick: KickTarget): Promise<ReportedJob> {
  const [row] = await query;
  kickDispatch(kick);
  return { job: row.job };
}
