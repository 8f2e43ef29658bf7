/** The body of POST /v1/jobs. Params are checked by the job type's own schema (shared/job_types/) afterwards. */
import { z } from "@hono/zod-openapi";
import { WEBHOOK_EVENTS } from "../job_states.ts";
import { intBetween } from "../job_types/fields.ts";
import { JobTypeName } from "./job_schema.ts";
import { strictObject } from "./strict_object.ts";

const MAX_METADATA_BYTES = 4096;
const MAX_DEADLINE_SECONDS = 7 * 24 * 3600;

export const CreateJobBody = strictObject(
  {
    type: JobTypeName.openapi({ description: "The job type; it decides the params schema.", example: "txt2img" }),
    params: z.record(z.string(), z.unknown(), { error: "params must be a JSON object" }).openapi({
      description:
        "By type: Txt2ImgParams, Img2ImgParams, UpscaleParams or WorkflowParams. Checked after the body, " +
        "with errors at `params.<field>`.",
      example: { prompt: "a kiln at dusk", width: 1024, height: 1024, steps: 20 },
    }),
    workflow_id: z
      .uuid({ error: "workflow_id must be the id of a workflow from GET /v1/workflows" })
      .optional()
      .openapi({ description: "Run this stored workflow's graph for the job type (its job_type must match)." }),
    priority: intBetween("priority", -100, 100)
      .optional()
      .openapi({ description: "Higher runs first among your jobs and others'; default 0.", example: 0 }),
    webhook: z
      .string({ error: "webhook must be an https URL" })
      .max(2048, "webhook must be at most 2048 characters")
      .optional()
      .openapi({ description: "Receives this job's events (signed).", example: "https://example.com/kiln" }),
    webhook_events: z
      .array(z.enum(WEBHOOK_EVENTS), { error: `webhook_events must be a list of: ${WEBHOOK_EVENTS.join(", ")}` })
      .min(1, "webhook_events must name at least one event")
      .optional()
      .openapi({ description: "Which events go to `webhook`; default: all of them." }),
    deadline_s: intBetween("deadline_s", 10, MAX_DEADLINE_SECONDS)
      .optional()
      .openapi({ description: "Fail the job (and refund it) if not finished this many seconds after creation." }),
    metadata: z
      .record(z.string(), z.unknown(), { error: "metadata must be a JSON object" })
      .refine((m) => new TextEncoder().encode(JSON.stringify(m)).length <= MAX_METADATA_BYTES, {
        error: `metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`,
      })
      .optional()
      .openapi({ description: "Yours; returned with the job and in webhooks.", example: { order: "A-1042" } }),
  },
  "the body",
).openapi("CreateJob");
export type CreateJobBody = z.infer<typeof CreateJobBody>;
