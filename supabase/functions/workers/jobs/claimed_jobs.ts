/**
 * A claim, and everything a worker needs to run what it claimed: kiln.claim_jobs joined with each job's
 * stored workflow (graph and bindings), and a download URL for every input image its params name (a signed
 * URL of the `inputs` bucket for `upload:<id>`, an https URL as it is). A claimed job that no worker could
 * run (its workflow or an uploaded input is gone) fails at once, not retryable, and is left out of the answer.
 */
import type postgres from "postgres";
import { imageRefsOf } from "../../../../shared/comfyui/build_graph.ts";
import { UPLOAD_REF } from "../../../../shared/job_types/fields.ts";
import type { ClaimedJob, JobError } from "../../../../shared/worker_protocol.ts";
import { INPUTS_BUCKET, uploadPath } from "../../_shared/storage/buckets.ts";
import type { WorkersDeps } from "../deps.ts";

interface ClaimRow {
  id: string;
  type: string;
  owner_id: string;
  params: Record<string, unknown>;
  fencing_token: string;
  lease_seconds: number;
  lease_expires_at: Date;
  attempts: number;
  max_attempts: number;
  deadline: Date | null;
  execution_timeout_seconds: number;
  workflow_id: string | null;
  graph: Record<string, unknown> | null;
  bindings: unknown;
  checkpoints: string[];
}

/** Claims up to `n` jobs of `types` for `workerId` (with `loaded` checkpoints), each with what it needs to run. */
export async function claimJobs(
  deps: WorkersDeps,
  workerId: string,
  types: readonly string[],
  n: number,
  loaded: readonly string[],
): Promise<ClaimedJob[]> {
  const rows = await deps.sql<ClaimRow[]>`
    select j.id, j.type, j.owner_id, j.params, j.fencing_token::text as fencing_token,
           extract(epoch from j.lease_expires_at - j.claimed_at)::int as lease_seconds, j.lease_expires_at,
           j.attempts, j.max_attempts, j.deadline, w.id as workflow_id, w.graph, w.bindings,
           array(select jsonb_array_elements_text(j.requirements -> 'checkpoints')) as checkpoints,
           kiln.execution_timeout_seconds(j.type, (select t.execution_timeout_seconds from public.workflows t
                                                    where t.id = j.workflow_id)) as execution_timeout_seconds
      from kiln.claim_jobs(${workerId}, ${types as string[]}::text[], ${n}, null, ${loaded as string[]}::text[]) j
      left join public.workflows w on w.id = j.workflow_id and j.type = 'workflow'`;
  if (rows.length === 0) return [];
  const refs = new Map(rows.map((row) => [row.id, inputRefs(row)]));
  const uploads = rows.flatMap((row) => uploadPaths(row, refs.get(row.id)));
  const signed = await deps.storage.signDownloads(
    INPUTS_BUCKET,
    [...new Set(uploads)],
    deps.config.KILN_INPUT_URL_EXPIRY_SECONDS,
  );
  const jobs: ClaimedJob[] = [];
  for (const row of rows) {
    const found = refs.get(row.id) ?? [];
    if (!Array.isArray(found)) {
      await failUnrunnable(deps, workerId, row, found);
      continue;
    }
    const inputs = found.map((ref) => ({ ref, url: inputUrl(row, ref, signed) }));
    const missing = inputs.find((input) => input.url === null);
    if (missing) {
      const error = { code: "input_missing", message: `The input image ${missing.ref} no longer exists.` };
      await failUnrunnable(deps, workerId, row, error);
      continue;
    }
    jobs.push(toClaimedJob(row, inputs as { ref: string; url: string }[]));
  }
  return jobs;
}

/** The image refs `row`'s params name, or why the job cannot run. */
function inputRefs(row: ClaimRow): string[] | Pick<JobError, "code" | "message"> {
  if (row.type === "workflow" && !row.graph) {
    return { code: "workflow_missing", message: "The job's stored workflow no longer exists." };
  }
  try {
    return imageRefsOf({ id: row.id, type: row.type, params: row.params }, row.bindings);
  } catch (error) {
    return { code: "invalid_job", message: `The job cannot be run: ${(error as Error).message}` };
  }
}

function uploadPaths(row: ClaimRow, refs: ReturnType<typeof inputRefs> | undefined): string[] {
  if (!Array.isArray(refs)) return [];
  return refs.flatMap((ref) => {
    const id = UPLOAD_REF.exec(ref)?.[1];
    return id ? [uploadPath(row.owner_id, id)] : [];
  });
}

/** An upload's signed URL (null when its object is gone), or an https ref as it is. */
function inputUrl(row: ClaimRow, ref: string, signed: Map<string, string | null>): string | null {
  const id = UPLOAD_REF.exec(ref)?.[1];
  return id ? (signed.get(uploadPath(row.owner_id, id)) ?? null) : ref;
}

function toClaimedJob(row: ClaimRow, inputs: { ref: string; url: string }[]): ClaimedJob {
  return {
    id: row.id,
    type: row.type,
    params: row.params,
    workflow: row.workflow_id && row.graph ? { id: row.workflow_id, graph: row.graph, bindings: row.bindings } : null,
    inputs,
    fencing_token: row.fencing_token,
    lease_seconds: row.lease_seconds,
    lease_expires_at: row.lease_expires_at.toISOString(),
    attempt: row.attempts,
    max_attempts: row.max_attempts,
    deadline: row.deadline?.toISOString() ?? null,
    execution_timeout_seconds: row.execution_timeout_seconds,
    checkpoints: row.checkpoints,
  };
}

/** Fails a just-claimed job that no worker could run: final, refunded, with the reason as its error. */
async function failUnrunnable(
  deps: WorkersDeps,
  workerId: string,
  row: ClaimRow,
  reason: Pick<JobError, "code" | "message">,
): Promise<void> {
  const error = { ...reason, retryable: false } as postgres.JSONValue;
  await deps.sql`select kiln.fail_job(${row.id}, ${workerId}, ${row.fencing_token}::bigint, ${deps.sql.json(error)})`;
  deps.log({ level: "warn", message: "claimed job cannot run; failed", job_id: row.id, error: reason.code });
}
