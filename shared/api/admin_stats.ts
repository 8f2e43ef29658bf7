/** GET /v1/admin/stats: how the queue is doing over a window, and right now. */
import { z } from "@hono/zod-openapi";

export const AdminStatsQuery = z.strictObject({
  window_hours: z.coerce
    .number({ error: "window_hours must be a whole number from 1 to 720" })
    .int("window_hours must be a whole number from 1 to 720")
    .min(1, "window_hours must be a whole number from 1 to 720")
    .max(720, "window_hours must be a whole number from 1 to 720")
    .default(24)
    .openapi({
      param: { name: "window_hours", in: "query" },
      description: "The window, in hours (default 24).",
      example: 24,
    }),
});

const count = z.number().int();
/** One count per job status (shared/job_states.ts). */
const byStatus = z.object({ queued: count, running: count, succeeded: count, failed: count, canceled: count });

const Percentiles = z.object({
  p50: z.number().nullable().openapi({ description: "Milliseconds; null when no job qualifies." }),
  p95: z.number().nullable(),
});

export const AdminStats = z
  .object({
    window: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), hours: z.number().int() }),
    jobs: z.object({
      total: z.number().int().openapi({ description: "Jobs created in the window." }),
      by_status: byStatus.openapi({ description: "Jobs created in the window, by their status now." }),
      by_type: z.array(z.object({ type: z.string(), total: z.number().int(), by_status: byStatus })),
    }),
    success_rate: z
      .number()
      .nullable()
      .openapi({ description: "succeeded / (succeeded + failed) of the jobs that ended in the window; null if none." }),
    queue_wait_ms: Percentiles.openapi({
      description: "From creation to (latest) claim, for jobs claimed in the window.",
    }),
    run_time_ms: Percentiles.openapi({ description: "From claim to end, for jobs that succeeded in the window." }),
    queue_depth: z.object({
      queued: z.number().int().openapi({ description: "Queued now, including jobs waiting out a retry backoff." }),
      claimable: z.number().int().openapi({ description: "Queued now and claimable now." }),
      running: z.number().int(),
      by_type: z
        .array(z.object({ type: z.string(), queued: z.number().int(), running: z.number().int() }))
        .openapi({ description: "The same now, per job type (types with a queued or running job)." }),
    }),
    workers: z.object({ online: z.number().int(), total: z.number().int().openapi({ description: "Not revoked." }) }),
  })
  .openapi("AdminStats");
export type AdminStats = z.infer<typeof AdminStats>;
