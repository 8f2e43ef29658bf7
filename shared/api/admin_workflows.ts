/** Workflows as administrators manage them (/v1/admin/workflows): the whole row, graph included. */
import { z } from "@hono/zod-openapi";
import { Bindings, CostRule } from "../job_types/workflow_bindings.ts";
import { strictObject } from "./strict_object.ts";

/** A ComfyUI graph in API format: `{<node id>: {class_type, inputs}}`. */
const Graph = z
  .record(z.string(), z.object({ class_type: z.string().min(1), inputs: z.record(z.string(), z.unknown()) }), {
    error: "graph must be a ComfyUI API-format graph: {<node id>: {class_type, inputs}}",
  })
  .openapi({ example: { "3": { class_type: "KSampler", inputs: { steps: 20, seed: 1 } } } });

const fields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "sdxl-portrait" }),
  description: z.string().max(2000).nullable().optional(),
  owner_id: z.uuid().nullable().optional().openapi({ description: "The account it belongs to; null: every account." }),
  job_type: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, "job_type must be lowercase letters, digits and _, starting with a letter")
    .optional()
    .openapi({ description: "The job type workers see (default `workflow`).", example: "workflow" }),
  graph: Graph,
  bindings: Bindings.optional().openapi({ description: "Which graph input each job input sets." }),
  cost_rule: CostRule.optional(),
  enabled: z.boolean().optional().openapi({ description: "Disabled workflows cannot be run (default true)." }),
  execution_timeout_seconds: z.int().min(1).max(86_400).nullable().optional().openapi({
    description:
      "Seconds its prompts may execute once ComfyUI starts them (never more than the execution_timeout setting's max_seconds); null: the job type's or the default.",
    example: 900,
  }),
};

export const AdminWorkflowCreateBody = strictObject(fields, "the workflow").openapi("AdminWorkflowCreate");
export type AdminWorkflowCreateBody = z.infer<typeof AdminWorkflowCreateBody>;

export const AdminWorkflowUpdateBody = strictObject(
  {
    name: fields.name.optional(),
    description: fields.description,
    owner_id: fields.owner_id,
    job_type: fields.job_type,
    graph: fields.graph.optional(),
    bindings: fields.bindings,
    cost_rule: fields.cost_rule,
    enabled: fields.enabled,
    execution_timeout_seconds: fields.execution_timeout_seconds,
  },
  "the change",
).openapi("AdminWorkflowUpdate");
export type AdminWorkflowUpdateBody = z.infer<typeof AdminWorkflowUpdateBody>;

export const AdminWorkflow = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    job_type: z.string(),
    graph: z.record(z.string(), z.unknown()),
    bindings: z.record(z.string(), z.unknown()),
    cost_rule: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
    execution_timeout_seconds: z.int().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("AdminWorkflow");
export type AdminWorkflow = z.infer<typeof AdminWorkflow>;
