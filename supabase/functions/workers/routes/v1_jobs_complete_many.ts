/**
 * POST /v1/jobs/complete: completions of several jobs in one call (a worker sends the reports that piled up while
 * its previous call was out). Each job is judged as POST /v1/jobs/:id/complete would judge it, and answered apart:
 * outputs elsewhere or never uploaded refuse that job (validation_failed), a job this worker does not hold is
 * not_found or lease_lost, and the rest complete, all in one kiln.complete_jobs call (one transaction).
 */
import type postgres from "postgres";
import { SQLSTATE_CODES } from "../../../../shared/errors.ts";
import { CompleteManyRequest, type CompleteManyResponse } from "../../../../shared/worker_protocol.ts";
import { kickDispatch } from "../../_shared/dispatch_kick.ts";
import { validationError } from "../../_shared/http/errors.ts";
import type { WorkersDeps } from "../deps.ts";
import { validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";
import { outputFolder, type ReportedJob } from "../jobs/held_job.ts";
import { outputIssues } from "../jobs/reported_outputs.ts";

type Completion =
  | { id: string; held: true; job: ReportedJob["job"] }
  | { id: string; held: false; sqlstate: string; message: string };

export function registerJobsCompleteMany(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/jobs/complete", async (c) => {
    const { jobs: reports } = await validBody(c, CompleteManyRequest);
    const worker = c.get("worker");
    const sql = deps.sql;
    // Folders of the jobs this worker runs; a job not among them gets no output check, and kiln.complete_jobs
    // answers it as not held (with nothing of its outputs kept).
    const running = await sql<{ id: string; owner_id: string }[]>`
      select j.id, j.owner_id from public.jobs j
       where j.id = any(${reports.map((r) => r.id)}::uuid[]) and j.status = 'running' and j.worker_id = ${worker.id}`;
    const owners = new Map(running.map((j) => [j.id, j.owner_id]));
    const checked = reports.filter((r) => owners.has(r.id));
    const issues = await outputIssues(
      sql,
      checked.map((r) => ({
        folder: outputFolder(owners.get(r.id) as string, r.id),
        paths: r.outputs.map((o) => o.path),
      })),
    );
    const refused = new Map(checked.flatMap((r, i) => (issues[i].length > 0 ? [[r.id, issues[i]]] : [])));
    const sent = reports
      .filter((r) => !refused.has(r.id))
      .map((r) => ({ ...r, outputs: owners.has(r.id) ? r.outputs : [] }));
    const [{ completed }] =
      sent.length === 0
        ? [{ completed: [] as Completion[] }]
        : await sql<{ completed: Completion[] }[]>`
            select kiln.complete_jobs(${worker.id}, ${sql.json(sent as postgres.JSONValue)}) as completed`;
    if (completed.some((r) => r.held)) kickDispatch(deps.config);
    const answers = new Map(completed.map((r) => [r.id, r]));
    const response: CompleteManyResponse = {
      jobs: reports.map((r) => {
        const issue = refused.get(r.id);
        if (issue) {
          const error = validationError(issue);
          return { id: r.id, completed: false, code: error.code, message: error.message, details: error.details };
        }
        const answer = answers.get(r.id) as Completion;
        return answer.held
          ? { id: r.id, completed: true, job: answer.job }
          : {
              id: r.id,
              completed: false,
              code: SQLSTATE_CODES[answer.sqlstate] ?? "internal",
              message: answer.message,
            };
      }),
    };
    return c.json(response);
  });
}
