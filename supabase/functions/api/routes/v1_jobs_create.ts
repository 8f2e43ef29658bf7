/**
 * POST /v1/jobs: validates params by the job type, charges the credits and queues the job, in one SQL call.
 * Idempotency-Key makes retries safe (a replay is marked `Idempotent-Replayed: true`); `Prefer: wait=N` holds
 * the answer until the job ends (200) or N seconds pass (202).
 */
import { z } from "@hono/zod-openapi";
import type postgres from "postgres";
import { CreateJobBody } from "../../../../shared/api/create_job_schema.ts";
import { Job, type JobSummary } from "../../../../shared/api/job_schema.ts";
import { Img2ImgParams } from "../../../../shared/job_types/img2img.ts";
import { Txt2ImgParams } from "../../../../shared/job_types/txt2img.ts";
import { UpscaleParams } from "../../../../shared/job_types/upscale.ts";
import { WorkflowParams } from "../../../../shared/job_types/workflow.ts";
import { kickDispatch } from "../../_shared/dispatch_kick.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { checkJobParams, invalid } from "../jobs/job_params.ts";
import { jobView, loadJob } from "../jobs/job_view.ts";
import { preferredWait, waitForJob } from "../jobs/prefer_wait.ts";
import { requestHash } from "../jobs/request_hash.ts";
import { assertWebhookTarget } from "./webhook_route_support.ts";

const Headers = z.object({
  "idempotency-key": z
    .string()
    .min(1, "Idempotency-Key must be 1 to 255 characters")
    .max(255, "Idempotency-Key must be 1 to 255 characters")
    .optional()
    .openapi({ description: "Same key + same body returns the same job; another body is refused (409)." }),
  prefer: z
    .string()
    .optional()
    .openapi({ description: "`wait=N` (N ≤ 60): answer when the job ends or after N seconds.", example: "wait=30" }),
});

const header = (description: string) => ({ description, schema: { type: "string" as const } });
const jobAnswer = (description: string) => ({
  description,
  headers: {
    Location: header("The job's URL."),
    "Idempotent-Replayed": header("`true` when an earlier request with this Idempotency-Key made the job."),
    "Preference-Applied": header("`wait=N` when the request asked to wait."),
  },
  content: { "application/json": { schema: Job } },
});

/** The job's URL as the caller reaches it: Supabase strips /functions/v1 before the function sees the path. */
function jobLocation(path: string, id: string): string {
  const prefix = path.slice(0, path.lastIndexOf("/v1/jobs"));
  return `${prefix.startsWith("/functions/v1") ? "" : "/functions/v1"}${prefix}/v1/jobs/${id}`;
}

export function registerJobsCreate(app: ApiApp, deps: ApiDeps): void {
  for (const [name, schema] of Object.entries({ Txt2ImgParams, Img2ImgParams, UpscaleParams, WorkflowParams })) {
    app.openAPIRegistry.register(name, schema);
  }
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:write", budget: "create" },
    {
      method: "post",
      path: "/v1/jobs",
      tags: ["Jobs"],
      summary: "Create a job",
      request: {
        headers: Headers,
        body: { required: true, content: { "application/json": { schema: CreateJobBody } } },
      },
      responses: {
        200: jobAnswer("With `Prefer: wait`: the job ended within the wait."),
        201: jobAnswer("Queued (or replayed): the job, its queue position and warnings."),
        202: jobAnswer("With `Prefer: wait`: still queued or running when the wait passed; poll Location."),
      },
      errors: [
        "insufficient_credits",
        "input_url_refused",
        "webhook_url_refused",
        "idempotency_key_reused",
        "payload_too_large",
        "unsupported_media_type",
        "too_many_active_jobs",
        "maintenance",
      ],
    },
  );

  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const headers = c.req.valid("header");
    const principal = c.get("principal");
    if (body.webhook_events && !body.webhook) invalid({ webhook_events: "webhook_events needs a webhook" });
    const checked = await checkJobParams(deps, principal.userId, body);
    // The dispatcher checks again before each delivery; refusing here saves days of doomed retries.
    if (body.webhook) await assertWebhookTarget(deps, body.webhook, "webhook");
    const key = headers["idempotency-key"] ?? null;
    const json = (value: Record<string, unknown>) => deps.sql.json(value as postgres.JSONValue);
    const [{ result }] = await deps.sql<{ result: { job: JobSummary; replayed: boolean; queue_tag: number } }[]>`
      select kiln.create_job(
        p_owner_id => ${principal.userId}, p_type => ${body.type}, p_params => ${json(checked.params)},
        p_cost => ${checked.cost}, p_api_key_id => ${principal.apiKeyId ?? null},
        p_workflow_id => ${checked.workflowId}, p_priority => ${body.priority ?? 0},
        p_deadline_seconds => ${body.deadline_s ?? null}, p_idempotency_key => ${key},
        p_request_hash => ${key ? requestHash(body) : null}, p_webhook_url => ${body.webhook ?? null},
        p_webhook_events => ${body.webhook_events ?? null}::text[],
        p_metadata => ${json(body.metadata ?? {})}, p_notify => false,
        p_requirements => ${json(checked.requirements)}) as result`;
    const id = result.job.id;
    // job.queued is in the outbox: a replayed create wrote nothing, and its kick finds nothing to send.
    if (!result.replayed) {
      kickDispatch(deps.config);
      deps.wakeClaimers(body.type);
    }
    const wait = preferredWait(headers.prefer);
    const ended = wait === undefined ? false : await waitForJob(deps.sql, id, wait);
    const job =
      wait === undefined
        ? await jobView(deps.positions, result.job, result.queue_tag)
        : await loadJob(deps, id, principal.userId);
    c.header("Location", jobLocation(c.req.path, id));
    if (result.replayed) c.header("Idempotent-Replayed", "true");
    if (wait === undefined) return c.json(job, 201);
    c.header("Preference-Applied", `wait=${wait}`);
    return ended ? c.json(job, 200) : c.json(job, 202);
  });
}
