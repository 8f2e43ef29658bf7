/**
 * `Prefer: wait=N` (RFC 7240): hold the create response until the job ends or N seconds pass (at most 60).
 * The job row is polled; a job that ends is answered at the next poll, so the wait adds at most one interval.
 */
import type postgres from "postgres";
import { FINAL_STATUSES, type JobStatus } from "../../../../shared/job_states.ts";

export const MAX_WAIT_SECONDS = 60;
const POLL_MS = 200;

/** The seconds asked for by a `Prefer` header (capped at 60), or undefined when it asks for no wait. */
export function preferredWait(prefer: string | undefined): number | undefined {
  const match = prefer?.match(/(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i);
  if (!match) return undefined;
  return Math.min(Number(match[1]), MAX_WAIT_SECONDS);
}

/** Waits up to `seconds` for job `id` to reach a final status; true if it did. */
export async function waitForJob(sql: postgres.Sql, id: string, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const [row] = await sql<{ status: JobStatus }[]>`select status from public.jobs where id = ${id}`;
    if (!row || FINAL_STATUSES.includes(row.status)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
}
