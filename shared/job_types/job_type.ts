/**
 * What a job type is to the API: its params schema (the single source for validation and OpenAPI) and its
 * price. `check` parses params and prices them in one step, so a cost is only ever computed from valid params.
 */
import type { z } from "@hono/zod-openapi";
import type { StoredWorkflow } from "./workflow_bindings.ts";

export type CheckedParams =
  | { ok: true; params: Record<string, unknown>; cost: number }
  | { ok: false; issues: readonly z.core.$ZodIssue[] };

export interface JobTypeDefinition {
  type: string;
  summary: string;
  /** The params schema, as documented. */
  params: z.ZodType;
  /** Whether params name a stored workflow that must be loaded before `check`. */
  usesWorkflow: boolean;
  /** Validates `input` (against `workflow`'s bindings where the type has them) and prices the job. */
  check(input: unknown, workflow?: StoredWorkflow): CheckedParams;
}

/** A job type whose params are fully described by `schema` and priced by `cost`. */
export function simpleJobType<S extends z.ZodType<Record<string, unknown>>>(definition: {
  type: string;
  summary: string;
  params: S;
  cost: (params: z.output<S>) => number;
}): JobTypeDefinition {
  return {
    type: definition.type,
    summary: definition.summary,
    params: definition.params,
    usesWorkflow: false,
    check(input) {
      const parsed = definition.params.safeParse(input);
      if (!parsed.success) return { ok: false, issues: parsed.error.issues };
      return { ok: true, params: parsed.data, cost: definition.cost(parsed.data) };
    },
  };
}
