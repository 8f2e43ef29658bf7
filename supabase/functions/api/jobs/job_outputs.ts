/** A job's outputs as stored on the row: `[{path, content_type, size, …}]` in the `outputs` bucket. */
import type postgres from "postgres";
import type { JobStatus } from "../../../../shared/job_states.ts";
import { fail } from "../../_shared/http/errors.ts";

export interface StoredOutput {
  path: string;
  [key: string]: unknown;
}

/** `owner`'s job `id`: its status and outputs (none yet: []), or 404. */
export async function jobOutputs(
  sql: postgres.Sql,
  id: string,
  owner: string,
): Promise<{ status: JobStatus; outputs: StoredOutput[] }> {
  const [row] = await sql<{ status: JobStatus; outputs: StoredOutput[] | null }[]>`
    select j.status, j.outputs from public.jobs j where j.id = ${id} and j.owner_id = ${owner}`;
  if (!row) fail("not_found", `No job ${id}.`);
  return { status: row.status, outputs: (row.outputs ?? []).filter((o) => typeof o?.path === "string") };
}
