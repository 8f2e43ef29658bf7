/**
 * GET /v1/jobs: the caller's jobs, newest first, a page at a time (keyset on created_at desc, id desc), with
 * filters by status (comma list), type and creation time.
 */
import { z } from "@hono/zod-openapi";
import { JobSummary } from "../../../../shared/api/job_schema.ts";
import { JOB_STATUSES, type JobStatus } from "../../../../shared/job_states.ts";
import type { ApiDeps } from "../deps.ts";
import type { ApiApp } from "../http/api_types.ts";
import { callerRoute } from "../http/caller_route.ts";
import { decodeCursor, PageQuery, pageSchema, toPage } from "../http/pagination.ts";

const statusMessage = `status must be a comma-separated list of: ${JOB_STATUSES.join(", ")}`;
const time = (name: string) =>
  z.iso
    .datetime({ offset: true, error: `${name} must be an ISO 8601 time, e.g. 2026-01-05T12:00:00Z` })
    .optional()
    .openapi({ description: `Only jobs created ${name === "created_after" ? "at or after" : "before"} this time.` });

const Query = PageQuery.extend({
  status: z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()))
    .refine((list) => list.every((x) => (JOB_STATUSES as readonly string[]).includes(x)), statusMessage)
    .transform((list) => list as JobStatus[])
    .optional()
    .openapi({ description: "Only these statuses, comma-separated.", example: "queued,running" }),
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, "type must be a job type such as txt2img")
    .optional()
    .openapi({ description: "Only jobs of this type.", example: "txt2img" }),
  created_after: time("created_after"),
  created_before: time("created_before"),
});

/** A cursor names the last job of the previous page: its created_at (as Postgres wrote it) and id. */
const JobCursor = z.tuple([z.string().min(1), z.uuid()]);

export function registerJobsList(app: ApiApp, deps: ApiDeps): void {
  const route = callerRoute(
    deps.auth,
    { scope: "jobs:read" },
    {
      method: "get",
      path: "/v1/jobs",
      tags: ["Jobs"],
      summary: "List jobs",
      request: { query: Query },
      responses: {
        200: {
          description: "A page of jobs, newest first.",
          content: { "application/json": { schema: pageSchema(JobSummary, "JobPage") } },
        },
      },
    },
  );
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const sql = deps.sql;
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, JobCursor);
    const rows = await sql<{ job: JobSummary }[]>`
      select kiln.job_summary(j) as job
        from public.jobs j
       where j.owner_id = ${c.get("principal").userId}
         ${q.status ? sql`and j.status = any(${q.status}::public.job_status[])` : sql``}
         ${q.type ? sql`and j.type = ${q.type}` : sql``}
         ${q.created_after ? sql`and j.created_at >= ${q.created_after}::timestamptz` : sql``}
         ${q.created_before ? sql`and j.created_at < ${q.created_before}::timestamptz` : sql``}
         ${after ? sql`and (j.created_at, j.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
       order by j.created_at desc, j.id desc
       limit ${q.limit + 1}`;
    return c.json(
      toPage(
        rows,
        q.limit,
        (row) => [row.job.created_at, row.job.id],
        (row) => row.job,
      ),
      200,
    );
  });
}
