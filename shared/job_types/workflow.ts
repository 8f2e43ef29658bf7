/**
 * workflow: a stored ComfyUI workflow (GET /v1/workflows) run with `inputs` set through its bindings.
 * Cost: the workflow's cost rule, `{base, per_step?, per_megapixel?}` (see workflow_bindings.ts).
 */
import { z } from "@hono/zod-openapi";
import { strictObject } from "../api/strict_object.ts";
import type { JobTypeDefinition } from "./job_type.ts";
import { inputsSchema, parseBindings, type StoredWorkflow, workflowCost } from "./workflow_bindings.ts";

export const WorkflowParams = strictObject(
  {
    workflow_id: z
      .uuid({ error: "workflow_id must be the id of a workflow from GET /v1/workflows" })
      .openapi({ description: "The stored workflow to run.", example: "9f0c2d1e-7b3a-4c5d-8e6f-1a2b3c4d5e6f" }),
    inputs: z
      .record(z.string(), z.unknown(), { error: "inputs must be a JSON object" })
      .default({})
      .openapi({ description: "Values for the workflow's bindings, by name.", example: { prompt: "a red fox" } }),
  },
  "params",
).openapi("WorkflowParams");

export const workflow: JobTypeDefinition = {
  type: "workflow",
  summary: "A stored ComfyUI workflow, with inputs checked against its bindings.",
  params: WorkflowParams,
  usesWorkflow: true,
  check(input, stored?: StoredWorkflow) {
    const parsed = WorkflowParams.safeParse(input);
    if (!parsed.success) return { ok: false, issues: parsed.error.issues };
    if (!stored) throw new Error("the workflow job type needs its stored workflow");
    const inputs = inputsSchema(parseBindings(stored)).safeParse(parsed.data.inputs);
    if (!inputs.success) {
      return { ok: false, issues: inputs.error.issues.map((i) => ({ ...i, path: ["inputs", ...i.path] })) };
    }
    const params = { workflow_id: parsed.data.workflow_id, inputs: inputs.data };
    return { ok: true, params, cost: workflowCost(stored, inputs.data) };
  },
};
