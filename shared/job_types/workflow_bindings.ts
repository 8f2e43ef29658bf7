/**
 * A stored workflow's parameter bindings and cost rule (public.workflows). Each binding names the graph
 * input a job parameter sets, with an optional type and range: `{node, input, type?, min?, max?}`. A job's
 * `inputs` are checked against them; an input not given keeps the value written in the graph.
 */
import { z } from "@hono/zod-openapi";
import { imageRef, megapixels } from "./fields.ts";

export const Binding = z
  .object({
    node: z.string().min(1),
    input: z.string().min(1),
    type: z.enum(["string", "integer", "number", "image"]).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .openapi("WorkflowBinding");
export type Binding = z.infer<typeof Binding>;

export const Bindings = z.record(z.string(), Binding);

/** Credits: base + per_step × steps + per_megapixel × width × height / 10⁶, rounded up. */
export const CostRule = z
  .object({
    base: z.number().min(0).default(10),
    per_step: z.number().min(0).optional(),
    per_megapixel: z.number().min(0).optional(),
  })
  .openapi("WorkflowCostRule");

/** A workflow row as job creation reads it. */
export interface StoredWorkflow {
  id: string;
  job_type: string;
  bindings: unknown;
  cost_rule: unknown;
  graph: Record<string, { inputs?: Record<string, unknown> }>;
}

/** "between 1 and 10", "at least 1", "at most 10" or "" for a binding's range. */
function range(b: Binding): string {
  if (b.min !== undefined && b.max !== undefined) return ` between ${b.min} and ${b.max}`;
  if (b.min !== undefined) return ` of at least ${b.min}`;
  return b.max !== undefined ? ` of at most ${b.max}` : "";
}

function withRange<T extends z.ZodNumber | z.ZodString>(schema: T, b: Binding): T {
  let s = schema;
  if (b.min !== undefined) s = s.min(b.min) as T;
  if (b.max !== undefined) s = s.max(b.max) as T;
  return s;
}

/** The schema of one input, from its binding. */
function inputSchema(name: string, b: Binding): z.ZodType {
  switch (b.type) {
    case "integer":
      return withRange(z.number({ error: `${name} must be a whole number${range(b)}` }).int(), b);
    case "number":
      return withRange(z.number({ error: `${name} must be a number${range(b)}` }), b);
    case "string":
      return withRange(z.string({ error: `${name} must be text${range(b) && ` with a length${range(b)}`}` }), b);
    case "image":
      return imageRef(name);
    default:
      return z.union([z.string(), z.number(), z.boolean()], { error: `${name} must be text, a number or a boolean` });
  }
}

/** The bindings of `workflow`; a malformed stored binding is an operator's mistake, reported as such. */
export function parseBindings(workflow: StoredWorkflow): Record<string, Binding> {
  const parsed = Bindings.safeParse(workflow.bindings);
  if (!parsed.success) throw new Error(`workflow ${workflow.id} has malformed bindings: ${parsed.error.message}`);
  return parsed.data;
}

/** The schema of a job's `inputs` for this workflow: every binding optional, nothing else allowed. */
export function inputsSchema(bindings: Record<string, Binding>) {
  const names = Object.keys(bindings);
  const shape = Object.fromEntries(names.map((name) => [name, inputSchema(name, bindings[name]).optional()]));
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `this workflow has no input ${issue.keys.map((k) => `"${k}"`).join(", ")}; ` +
          `its inputs are: ${[...names].sort().join(", ") || "(none)"}`
        : "inputs must be a JSON object",
  });
}

/** The value a bound parameter takes: the job's input, else what the graph holds. */
function boundNumber(
  workflow: StoredWorkflow,
  bindings: Record<string, Binding>,
  inputs: Record<string, unknown>,
  name: string,
) {
  const b = bindings[name];
  const value = inputs[name] ?? (b ? workflow.graph[b.node]?.inputs?.[b.input] : undefined);
  return typeof value === "number" ? value : undefined;
}

/** The cost of running `workflow` with `inputs`, by its cost rule (`steps`, `width`, `height` bindings). */
export function workflowCost(workflow: StoredWorkflow, inputs: Record<string, unknown>): number {
  const rule = CostRule.parse(workflow.cost_rule ?? {});
  const bindings = parseBindings(workflow);
  const steps = boundNumber(workflow, bindings, inputs, "steps") ?? 0;
  const width = boundNumber(workflow, bindings, inputs, "width") ?? 0;
  const height = boundNumber(workflow, bindings, inputs, "height") ?? 0;
  return Math.ceil(rule.base + (rule.per_step ?? 0) * steps + (rule.per_megapixel ?? 0) * megapixels(width, height));
}
