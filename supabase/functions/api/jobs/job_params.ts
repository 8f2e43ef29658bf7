/**
 * The checks on a create request that its zod schema cannot make alone: params by the job type's schema
 * (and, for workflows, the stored workflow's bindings), uploads that must exist, and the webhook URL.
 * Every refusal is a 422 validation_failed whose details name the field (`params.width`, `webhook`…).
 */
import type postgres from "postgres";
import { KilnError } from "../../../../shared/errors.ts";
import { UPLOAD_REF } from "../../../../shared/job_types/fields.ts";
import { JOB_TYPE_DEFINITIONS, type JobType } from "../../../../shared/job_types/index.ts";
import type { StoredWorkflow } from "../../../../shared/job_types/workflow_bindings.ts";
import { UUID_PATTERN } from "../../../../shared/uuid.ts";
import { fieldErrors } from "../../_shared/http/errors.ts";
import { uploadPath } from "../../_shared/storage/buckets.ts";

/** Throws 422 validation_failed with `details` {field path: message}. */
export function invalid(details: Record<string, string>): never {
  const [path, message] = Object.entries(details)[0];
  throw new KilnError("validation_failed", `${path}: ${message}`, details);
}

/** The refusal for a webhook URL, or undefined if it may be used: https, or http to an allowed host. */
export function webhookProblem(url: string, httpAllow: readonly string[]): string | undefined {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.protocol === "https:") return undefined;
  if (parsed?.protocol === "http:" && httpAllow.includes(parsed.hostname)) return undefined;
  const allowed = httpAllow.length > 0 ? ` (http only for ${httpAllow.join(", ")})` : "";
  return `webhook must be an https URL${allowed}`;
}

async function findWorkflow(sql: postgres.Sql, id: string, owner: string): Promise<StoredWorkflow | undefined> {
  const [row] = await sql<StoredWorkflow[]>`
    select w.id, w.job_type, w.bindings, w.cost_rule, w.graph from public.workflows w
     where w.id = ${id} and w.enabled and (w.owner_id is null or w.owner_id = ${owner})`;
  return row;
}

/** `upload:<id>` references in params (top level and workflow inputs), by field path. */
function uploadRefs(params: Record<string, unknown>): [string, string][] {
  const inputs = (params.inputs ?? {}) as Record<string, unknown>;
  const fields = [
    ...Object.entries(params).map(([k, v]) => [`params.${k}`, v] as const),
    ...Object.entries(inputs).map(([k, v]) => [`params.inputs.${k}`, v] as const),
  ];
  return fields.flatMap(([path, v]) => {
    const id = typeof v === "string" ? v.match(UPLOAD_REF)?.[1] : undefined;
    return id ? [[path, id] as [string, string]] : [];
  });
}

async function checkUploads(sql: postgres.Sql, owner: string, params: Record<string, unknown>): Promise<void> {
  for (const [path, id] of uploadRefs(params)) {
    const [found] = await sql`
      select 1 from storage.objects o where o.bucket_id = 'inputs' and o.name = ${uploadPath(owner, id)}`;
    if (!found) invalid({ [path]: `upload ${id} has no file yet; PUT the image to its signed_url first` });
  }
}

/** Validated params, their cost, and the stored workflow the job runs (if any). */
export async function checkJobParams(
  sql: postgres.Sql,
  owner: string,
  body: { type: JobType; params: Record<string, unknown>; workflow_id?: string },
): Promise<{ params: Record<string, unknown>; cost: number; workflowId: string | null }> {
  const definition = JOB_TYPE_DEFINITIONS[body.type];
  const fromParams = definition.usesWorkflow ? body.params.workflow_id : undefined;
  if (typeof fromParams === "string" && body.workflow_id && body.workflow_id !== fromParams) {
    invalid({ workflow_id: "workflow_id must be the same as params.workflow_id (or left out)" });
  }
  const workflowId = typeof fromParams === "string" && UUID_PATTERN.test(fromParams) ? fromParams : body.workflow_id;
  const field = definition.usesWorkflow ? "params.workflow_id" : "workflow_id";
  let workflow: StoredWorkflow | undefined;
  if (workflowId) {
    workflow = await findWorkflow(sql, workflowId, owner);
    if (!workflow) invalid({ [field]: `no workflow ${workflowId} is available to you; see GET /v1/workflows` });
    if (workflow.job_type !== body.type) {
      invalid({ [field]: `workflow ${workflowId} runs ${workflow.job_type} jobs, not ${body.type}` });
    }
  }
  const checked = definition.check(body.params, workflow);
  if (!checked.ok) invalid(fieldErrors(checked.issues.map((i) => ({ ...i, path: ["params", ...i.path] }))));
  await checkUploads(sql, owner, checked.params);
  return { params: checked.params, cost: checked.cost, workflowId: workflow?.id ?? null };
}
