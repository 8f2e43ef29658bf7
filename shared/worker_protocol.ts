/**
 * The worker protocol: what a GPU worker sends to the `workers` function and what it gets back. The one
 * source for both sides (supabase/functions/workers validates requests with it; worker/ validates answers).
 * Every call carries the worker's token (`Authorization: Bearer kiln_wk_…`); the function knows the worker
 * from it, so no body names a worker id.
 *
 * Routes, under /functions/v1/workers:
 *   POST /v1/register                  Register          → Registered
 *   POST /v1/deregister                {}                → Deregistered   (drain: claims nothing more)
 *   POST /v1/claim                     ClaimRequest      → ClaimResponse  (wait_s long-polls)
 *   POST /v1/heartbeat                 HeartbeatRequest  → HeartbeatResponse
 *   POST /v1/jobs/{id}/uploads         UploadsRequest    → UploadsResponse
 *   POST /v1/jobs/{id}/complete        CompleteRequest   → ReportResponse
 *   POST /v1/jobs/complete             CompleteManyRequest → CompleteManyResponse (several jobs, one call)
 *   POST /v1/jobs/{id}/fail            FailRequest       → ReportResponse
 *   POST /v1/jobs/{id}/canceled        CanceledRequest   → ReportResponse
 * Errors use the API's envelope `{error: {code, message, details?, request_id}}`; a report with a stale
 * fencing token answers 409 `lease_lost` (drop the job: someone else holds it now).
 */
import { z } from "zod";
import { JobPhase } from "./job_states.ts";

/** A job's fencing token: sent back with every report on that claim. Bigint in SQL, a decimal string here. */
const FencingToken = z
  .string()
  .refine(
    (s) => /^\d{1,19}$/.test(s) && BigInt(s) <= 9223372036854775807n,
    "fencing_token must be the decimal string the claim gave",
  );
const JobType = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/);

/** One ComfyUI instance the worker drives (one slot each). */
export const ComfyInstance = z.strictObject({
  /** Redacted to scheme://host:port; never credentials. */
  url: z.string().max(300),
  comfyui_version: z.string().max(100).optional(),
  /** From /system_stats. */
  devices: z
    .array(
      z.object({
        name: z.string().max(200),
        type: z.string().max(50),
        vram_total: z.number().nonnegative().optional(),
        vram_free: z.number().nonnegative().optional(),
      }),
    )
    .max(16),
  /** Model files by kind, from /object_info (checkpoints, upscale_models, …). */
  models: z.record(z.string().max(50), z.array(z.string().max(300)).max(2000)),
  /** The node types it has, from /object_info (absent: not read; claims then do not judge node types). */
  node_types: z.array(z.string().max(200)).max(10_000).optional(),
});
export type ComfyInstance = z.infer<typeof ComfyInstance>;

export const Register = z.strictObject({
  job_types: z.array(JobType).min(1).max(50),
  /** Jobs the worker runs at once (one per ComfyUI instance). */
  slots: z.int().min(1).max(64),
  comfyui: z.array(ComfyInstance).min(1).max(64),
  /** Kiln worker version and runtime (`node 20.x`, `deno 2.x`). */
  worker_version: z.string().max(50),
  runtime: z.string().max(50),
});
export type Register = z.infer<typeof Register>;

export const Registered = z.object({
  worker_id: z.uuid(),
  name: z.string(),
  /** A claim's lease, s: a job whose heartbeats stop this long returns to the queue. */
  lease_seconds: z.int(),
  /** Send a heartbeat for each running job at least this often, ms. */
  heartbeat_interval_ms: z.int(),
  /** The Realtime broadcast topic that announces claimable jobs (payload: type and priority only). */
  queue_topic: z.string(),
});
export type Registered = z.infer<typeof Registered>;

export const Deregistered = z.object({ worker_id: z.uuid(), running_jobs: z.int() });
export type Deregistered = z.infer<typeof Deregistered>;

export const ClaimRequest = z.strictObject({
  /** How many jobs at most (the worker's free slots). */
  n: z.int().min(1).max(64),
  /** Long poll: wait up to this long for a job when none is claimable now. */
  wait_s: z.number().min(0).max(20).default(0),
  /** A subset of the registered job types; default all of them. */
  job_types: z.array(JobType).min(1).max(50).optional(),
  /**
   * The checkpoints loaded in the free slots' ComfyUI: jobs that use one go first (within an account's turn, and
   * never past a job that has waited `model_affinity_wait_seconds`), so GPUs reload models less often.
   */
  loaded_models: z.array(z.string().min(1).max(300)).max(64).optional(),
});
export type ClaimRequest = z.input<typeof ClaimRequest>;

/** An input image a job needs: its ref as written in params, and a signed URL to download it from. */
export const JobInput = z.object({ ref: z.string(), url: z.string() });
export type JobInput = z.infer<typeof JobInput>;

/** Everything a worker needs to run a claimed job. */
export const ClaimedJob = z.object({
  id: z.uuid(),
  type: z.string(),
  params: z.record(z.string(), z.unknown()),
  /** The stored workflow of `workflow` jobs: its API-format graph and bindings. */
  workflow: z.object({ id: z.uuid(), graph: z.record(z.string(), z.unknown()), bindings: z.unknown() }).nullable(),
  inputs: z.array(JobInput),
  fencing_token: FencingToken,
  lease_seconds: z.int(),
  lease_expires_at: z.string(),
  attempt: z.int(),
  max_attempts: z.int(),
  deadline: z.string().nullable(),
  /** Seconds the prompt may execute once ComfyUI starts it; past them the worker interrupts and fails the job. */
  execution_timeout_seconds: z.int().positive(),
  /** The checkpoints its graph loads (`*`: the worker's default); the worker hands it to a slot that has one loaded. */
  checkpoints: z.array(z.string()),
});
export type ClaimedJob = z.infer<typeof ClaimedJob>;

export const ClaimResponse = z.object({ jobs: z.array(ClaimedJob) });
export type ClaimResponse = z.infer<typeof ClaimResponse>;

/** Progress across the whole graph, as the worker computes it from ComfyUI's events. */
export const Progress = z.strictObject({
  /** Sampler step (or other unit) within the running node. */
  value: z.number().nonnegative(),
  max: z.number().positive(),
  node: z.string().max(100).optional(),
  /** 0–100, across the graph. */
  percent: z.number().min(0).max(100),
  eta_ms: z.int().nonnegative().optional(),
});
export type Progress = z.infer<typeof Progress>;

export const HeartbeatRequest = z.strictObject({
  jobs: z
    .array(
      z.strictObject({
        id: z.uuid(),
        fencing_token: FencingToken,
        phase: JobPhase.optional(),
        progress: Progress.optional(),
      }),
    )
    .max(64),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

/** Per job: still held (with whether its owner asked to cancel), or lost (drop it, report nothing). */
export const HeartbeatResult = z.discriminatedUnion("held", [
  z.object({ id: z.uuid(), held: z.literal(true), cancel_requested: z.boolean(), lease_expires_at: z.string() }),
  z.object({ id: z.uuid(), held: z.literal(false), code: z.string(), message: z.string() }),
]);
export const HeartbeatResponse = z.object({ jobs: z.array(HeartbeatResult) });
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

const FileName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w][\w.-]*$/, "file names are letters, digits, _ . - (no folders)");

export const UploadsRequest = z.strictObject({
  fencing_token: FencingToken,
  files: z
    .array(z.strictObject({ name: FileName, content_type: z.string().min(1).max(100) }))
    .min(1)
    .max(64),
});
export type UploadsRequest = z.infer<typeof UploadsRequest>;

/** Where to upload each file: a signed PUT URL in the `outputs` bucket at `<owner>/<job>/<name>`. */
export const UploadsResponse = z.object({
  uploads: z.array(z.object({ name: z.string(), path: z.string(), signed_url: z.string(), token: z.string() })),
});
export type UploadsResponse = z.infer<typeof UploadsResponse>;

/** One uploaded output, as the job's `outputs` lists it. */
export const OutputFile = z.strictObject({
  /** The path the uploads call gave. */
  path: z.string().max(500),
  content_type: z.string().max(100),
  size: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  width: z.int().positive().optional(),
  height: z.int().positive().optional(),
  /** The ComfyUI node that produced it. */
  node: z.string().max(100).optional(),
});
export type OutputFile = z.infer<typeof OutputFile>;

export const CompleteRequest = z.strictObject({ fencing_token: FencingToken, outputs: z.array(OutputFile).max(256) });
export type CompleteRequest = z.infer<typeof CompleteRequest>;

/** Completions of several jobs in one call (the reports that piled up while another call was out), each job once. */
export const CompleteManyRequest = z.strictObject({
  jobs: z
    .array(z.strictObject({ id: z.uuid(), ...CompleteRequest.shape }))
    .min(1)
    .max(64)
    .refine((jobs) => new Set(jobs.map((j) => j.id)).size === jobs.length, "each job may be reported once a call"),
});
export type CompleteManyRequest = z.infer<typeof CompleteManyRequest>;

/** Why an attempt failed. `retryable` decides between another attempt (with backoff) and a final failure. */
export const JobError = z.strictObject({
  code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  message: z.string().max(2000),
  retryable: z.boolean(),
  /** The ComfyUI node at fault, when known. */
  node: z.string().max(100).optional(),
  /** E.g. ComfyUI's node_errors for a validation failure (kept, size-limited). */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type JobError = z.infer<typeof JobError>;

export const FailRequest = z.strictObject({ fencing_token: FencingToken, error: JobError });
export type FailRequest = z.infer<typeof FailRequest>;

export const CanceledRequest = z.strictObject({ fencing_token: FencingToken });
export type CanceledRequest = z.infer<typeof CanceledRequest>;

/** The job as it stands after a report (status queued again when a retryable failure is retried). */
export const ReportResponse = z.object({
  job: z.object({ id: z.uuid(), status: z.string(), attempts: z.int() }).passthrough(),
});
export type ReportResponse = z.infer<typeof ReportResponse>;

/**
 * Per job, in the order sent: completed (the job as it stands now), or refused with what the one-job call would have
 * answered (`not_found`, `lease_lost`: drop the job; `validation_failed`: its outputs, with details per field).
 */
export const CompleteResult = z.discriminatedUnion("completed", [
  z.object({ id: z.uuid(), completed: z.literal(true), job: ReportResponse.shape.job }),
  z.object({
    id: z.uuid(),
    completed: z.literal(false),
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export const CompleteManyResponse = z.object({ jobs: z.array(CompleteResult) });
export type CompleteManyResponse = z.infer<typeof CompleteManyResponse>;
