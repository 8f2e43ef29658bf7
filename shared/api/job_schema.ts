/**
 * The job as the API shows it: the summary every channel shares (kiln.job_summary: REST, Realtime,
 * webhooks), plus, on single-job answers, where it stands in the queue and any warnings.
 */
import { z } from "@hono/zod-openapi";
import { JOB_EVENT_TYPES, JobPhase, JobStatus } from "../job_states.ts";
import { JOB_TYPES } from "../job_types/index.ts";

const timestamp = z.string().openapi({ description: "ISO 8601 time.", example: "2026-01-05T12:00:00.000000+00:00" });

export const JobOutput = z
  .object({
    path: z.string().openapi({ description: "Object path in the `outputs` bucket." }),
    content_type: z.string().optional(),
    size: z.number().int().optional(),
    sha256: z.string().optional(),
    width: z.number().int().optional(),
    height: z.number().int().optional(),
    node: z.string().optional(),
  })
  .passthrough()
  .openapi("JobOutput");

export const JobSummary = z
  .object({
    id: z.uuid(),
    type: z.string().openapi({ example: "txt2img" }),
    params: z.record(z.string(), z.unknown()).openapi({ description: "Validated params, defaults filled in." }),
    status: JobStatus,
    phase: JobPhase.nullable().openapi({
      description:
        "While running: claimed → preparing (inputs, graph) → waiting_for_gpu (its prompt is queued in ComfyUI, behind the job the GPU runs now) → executing (ComfyUI started it; started_at) → uploading (outputs).",
    }),
    progress: z
      .object({ value: z.number(), max: z.number(), node: z.string().optional(), percent: z.number().optional() })
      .passthrough()
      .nullable(),
    priority: z.number().int(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    cancel_requested: z.boolean(),
    outputs: z.array(JobOutput).nullable(),
    error: z
      .object({ code: z.string(), message: z.string(), retryable: z.boolean().optional() })
      .passthrough()
      .nullable(),
    cost: z.number().int().openapi({ description: "Credits charged (refunded if the job fails or is canceled)." }),
    metadata: z.record(z.string(), z.unknown()),
    workflow_id: z.uuid().nullable(),
    run_after: timestamp,
    deadline: timestamp.nullable(),
    created_at: timestamp,
    claimed_at: timestamp.nullable(),
    started_at: timestamp.nullable().openapi({
      description: "When ComfyUI started the job's prompt: created_at → started_at is its wait, then its run.",
    }),
    finished_at: timestamp.nullable(),
    requirements: z.record(z.string(), z.array(z.string())).openapi({
      description:
        "What a worker's ComfyUI must have to run the job: model files by kind (checkpoints, upscale_models, loras, vae) and, for stored workflows, node_types. Only workers that have all of it claim the job.",
      example: { checkpoints: ["sd_xl_base_1.0.safetensors"] },
    }),
  })
  .openapi("JobSummary");
export type JobSummary = z.infer<typeof JobSummary>;

export const JobEvent = z
  .object({
    id: z.uuid(),
    type: z.enum(JOB_EVENT_TYPES),
    status: JobStatus,
    data: z.record(z.string(), z.unknown()),
    created_at: timestamp,
  })
  .openapi("JobEvent");

export const Job = JobSummary.extend({
  queue: z.object({
    position: z.number().int().nullable().openapi({
      description:
        "1 = next to be claimed by the workers able to run it; null unless queued. Counts the jobs of its type ahead in the claim order (priority, fair share between accounts, age) that those workers could take. Up to a second old (a per-isolate snapshot of the claim order); exact for the first 10,000, within 100 beyond.",
      example: 1,
    }),
    workers_online: z.number().int().openapi({ description: "Online workers that run this job's type." }),
    workers_able: z.number().int().openapi({
      description: "Of those, the ones whose ComfyUI has what this job needs (its requirements).",
    }),
  }),
  warnings: z.array(z.string()).openapi({
    example: ["No online worker can run txt2img jobs right now; the job will wait in the queue."],
  }),
  events: z.array(JobEvent).optional().openapi({ description: "With ?include=events: the job's log, oldest first." }),
}).openapi("Job");
export type Job = z.infer<typeof Job>;

export const JobTypeName = z.enum(JOB_TYPES, { error: `type must be one of: ${JOB_TYPES.join(", ")}` });
