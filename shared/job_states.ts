/**
 * The job state machine's vocabulary, mirroring the Postgres enums `job_status` and `job_phase`
 * (supabase/migrations/…_foundations.sql); a database test checks that the two agree.
 */
import { z } from "zod";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

/** Statuses a job never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "canceled"];

export const JOB_PHASES = ["claimed", "preparing", "executing", "uploading"] as const;
export const JobPhase = z.enum(JOB_PHASES);
export type JobPhase = z.infer<typeof JobPhase>;

/** Events a job emits; all but `job.cancel_requested` can be subscribed to by webhooks. */
export const JOB_EVENT_TYPES = [
  "job.queued",
  "job.started",
  "job.progress",
  "job.succeeded",
  "job.failed",
  "job.canceled",
  "job.cancel_requested",
] as const;
export const JobEventType = z.enum(JOB_EVENT_TYPES);
export type JobEventType = z.infer<typeof JobEventType>;
