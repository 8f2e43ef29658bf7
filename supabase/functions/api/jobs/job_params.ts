/**
 * The checks on a create request that its zod schema cannot make alone: params by the job type's schema
 * (and, for workflows, the stored workflow's bindings), uploads that must exist, and input image URLs that the
 * URL policy allows. Refusals are 422s whose details name the field (`params.width`, `params.image`…).
 */
import type postgres from "postgres";
import { imageRefsOf } from "../../../../shared/comfyui/build_graph.ts";
import { type Requirements, requirementsOf } from "../../../../shared/comfyui/requirements.ts";
import { KilnError } from "../../../../shared/errors.ts";
import { UPLOAD_REF } from "../../../../shared/job_types/fields.ts";
import { JOB_TYPE_DEFINITIONS, type JobType } from "../../../../shared/job_types/index.ts";
import type { StoredWorkflow } from "../../../../shared/job_types/workflow_bindings.ts";
import { checkUrlTarget, type HostResolver, inputPolicyOf } from "../../../../shared/net/url_policy.ts";
import { UUID_PATTERN } from "../../../../shared/uuid.ts";
import { fieldErrors } from "../../_shared/http/errors.ts";
import { uploadPath } from "../../_shared/storage/buckets.ts";

/** Throws 422 validation_failed with `details` {field path: message}. */
export function invalid(details: Record<string, string>): never {
  const [path, message] = Object.entries(details)[0];
  throw new KilnError("validation_failed", `${path}: ${message}`, details);
}

async function findWorkflow(sql: postgres.Sql, id: string, owner: string): Promise<StoredWorkflow | undefined> {
  const [row] = await sql<StoredWorkflow[]>`
    select w.id, w.job_type, w.bindings, w.cost_rule, w.graph from public.workflows w
     where w.id = ${id} and w.enabled and (w.owner_id is null or w.owner_id = ${owner})`;
  return row;
}

/** The string fields of params (top level and workflow inputs), by field path. */
function paramFields(params: Record<string, unknown>): (readonly [string, unknown])[] {
  const inputs = (params.inputs ?? {}) as Record<string, unknown>;
  return [
    ...Object.entries(params).map(([k, v]) => [`params.${k}`, v] as const),
    ...Object.entries(inputs).map(([k, v]) => [`params.inputs.${k}`, v] as const),
  ];
}

/** `upload:<id>` references in params, by field path. */
function uploadRefs(params: Record<string, unknown>): [string, string][] {
  return paramFields(params).flatMap(([path, v]) => {
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

/**
 * Refuses (422 input_url_refused, naming the field) an input image URL the worker would not fetch: one that is,
 * or resolves to, a non-public address, unless its host is on KILN_INPUT_PRIVATE_ALLOW. The worker checks again
 * before it connects, since DNS may answer otherwise by then.
 */
async function checkInputUrls(
  deps: JobParamDeps,
  type: string,
  params: Record<string, unknown>,
  workflow: StoredWorkflow | undefined,
): Promise<void> {
  const refs = new Set(imageRefsOf({ id: "", type: workflow ? "workflow" : type, params }, workflow?.bindings));
  const policy = inputPolicyOf(deps.config.KILN_INPUT_PRIVATE_ALLOW);
  for (const [path, value] of paramFields(params)) {
    if (typeof value !== "string" || !refs.has(value) || UPLOAD_REF.test(value)) continue;
    const check = await checkUrlTarget(value, deps.resolver, policy);
    if (!check.ok) {
      throw new KilnError("input_url_refused", `${path}: Kiln will not fetch this URL: ${check.reason}.`, {
        [path]: check.reason,
      });
    }
  }
}

/** What the checks need: the database, the resolver for input URLs, and the input allow-list. */
export interface JobParamDeps {
  sql: postgres.Sql;
  resolver: HostResolver;
  config: { KILN_INPUT_PRIVATE_ALLOW?: string };
}

/** Validated params, their cost, and the stored workflow the job runs (if any). */
export async function checkJobParams(
  deps: JobParamDeps,
  owner: string,
  body: { type: JobType; params: Record<string, unknown>; workflow_id?: string },
): Promise<{ params: Record<string, unknown>; cost: number; workflowId: string | null; requirements: Requirements }> {
  const definition = JOB_TYPE_DEFINITIONS[body.type];
  const fromParams = definition.usesWorkflow ? body.params.workflow_id : undefined;
  if (typeof fromParams === "string" && body.workflow_id && body.workflow_id !== fromParams) {
    invalid({ workflow_id: "workflow_id must be the same as params.workflow_id (or left out)" });
  }
  const workflowId = typeof fromParams === "string" && UUID_PATTERN.test(fromParams) ? fromParams : body.workflow_id;
  const field = definition.usesWorkflow ? "params.workflow_id" : "workflow_id";
  let workflow: StoredWorkflow | undefined;
  if (workflowId) {
    workflow = await findWorkflow(deps.sql, workflowId, owner);
    if (!workflow) invalid({ [field]: `no workflow ${workflowId} is available to you; see GET /v1/workflows` });
    if (workflow.job_type !== body.type) {
      invalid({ [field]: `workflow ${workflowId} runs ${workflow.job_type} jobs, not ${body.type}` });
    }
  }
  const checked = definition.check(body.params, workflow);
  if (!checked.ok) invalid(fieldErrors(checked.issues.map((i) => ({ ...i, path: ["params", ...i.path] }))));
  await checkUploads(deps.sql, owner, checked.params);
  await checkInputUrls(deps, body.type, checked.params, workflow);
  // What a worker's ComfyUI must have for it (claims match it): read off the graph the worker will build.
  const graphJob = {
    id: "00000000-0000-0000-0000-000000000000",
    type: workflow ? "workflow" : body.type,
    params: checked.params,
  };
  const requirements = requirementsOf(graphJob, workflow);
  return { params: checked.params, cost: checked.cost, workflowId: workflow?.id ?? null, requirements };
}
