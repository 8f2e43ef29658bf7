/**
 * The job state machine's vocabulary, mirroring the Postgres enums `job_status` and `job_phase`
 * (supabase/migrations/…_foundations.sql) and the table kiln.job_event_types; a database test checks that they agree.
 */
import { z } from "zod";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

/** Statuses a job never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "canceled"];

export const JOB_PHASES = ["claimed", "preparing", "waiting_for_gpu", "executing", "uploading"] as const;
export const JobPhase = z.enum(JOB_PHASES);
export type JobPhase = z.infer<typeof JobPhase>;

/**
 * The events a job emits, each with whether webhooks carry it: mirrors the table kiln.job_event_types (a database
 * test checks that the two agree). job.cancel_requested reaches the owner's Realtime topic and the event log only.
 */
export const JOB_EVENTS = {
  "job.queued": { webhook: true },
  "job.started": { webhook: true },
  "job.progress": { webhook: true },
  "job.succeeded": { webhook: true },
  "job.failed": { webhook: true },
  "job.canceled": { webhook: true },
  "job.cancel_requested": { webhook: false },
} as const;
export type JobEventType = keyof typeof JOB_EVENTS;
export const JOB_EVENT_TYPES = Object.keys(JOB_EVENTS) as JobEventType[];
export const JobEventType = z.enum(JOB_EVENT_TYPES);

/** The events webhooks can subscribe to. */
export const WEBHOOK_EVENTS = JOB_EVENT_TYPES.filter((type) => JOB_EVENTS[type].webhook);
