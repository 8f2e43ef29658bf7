/**
 * One job's page (#job/<id>): where it stands, live; its event timeline; its params; its outputs with download
 * links (fresh signed URLs on every read); cancel while it is queued or running; "Run again" with the same params.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Api } from "../api.ts";
import { type Job, JobProgress, Outputs } from "../job_view.tsx";
import { Failure, Section, useAction } from "../ui.tsx";
import { useLiveJob } from "../use_live_job.ts";

interface JobEvent {
  id: string;
  type: string;
  status: string;
  data: Record<string, unknown>;
  created_at: string;
}

export function JobPage(props: { api: Api; supabase: SupabaseClient; userId: string; id: string }) {
  const [failure, run] = useAction();
  const { job, outputs, live } = useLiveJob(props.api, props.supabase, props.userId, {
    id: props.id,
    events: true,
    onError: (error) => void run(() => Promise.reject(error)),
  });

  const cancel = () => run(() => props.api.call("POST", `/v1/jobs/${props.id}/cancel`));
  const runAgain = () =>
    run(async () => {
      const body = { type: job.type, params: job.params, ...(job.workflow_id ? { workflow_id: job.workflow_id } : {}) };
      const created = await props.api.call<Job>("POST", "/v1/jobs", body);
      location.hash = `#job/${created.id}`;
    });

  return (
    <main>
      <h1>Job</h1>
      <p>
        <a href="#jobs">← All jobs</a>
      </p>
      <Failure text={failure} />
      {!live && <p class="notice">Realtime connection lost: reconnecting…</p>}
      {job && (
        <>
          <JobProgress job={job} />
          <p>
            {(job.status === "queued" || job.status === "running") && (
              <button type="button" onClick={() => void cancel()} disabled={job.cancel_requested}>
                Cancel
              </button>
            )}{" "}
            <button type="button" onClick={() => void runAgain()}>
              Run again
            </button>
          </p>
          <p class="meta">
            {job.type} · cost {job.cost} credits · attempt {job.attempts}/{job.max_attempts} · created{" "}
            {new Date(job.created_at).toLocaleString()}
          </p>
          <Outputs outputs={outputs} />
          <Section title="Timeline">
            <ol class="timeline">
              {(job.events ?? []).map((event: JobEvent) => (
                <li key={event.id}>
                  <time dateTime={event.created_at}>{new Date(event.created_at).toLocaleTimeString()}</time>{" "}
                  <strong>{event.type}</strong> ({event.status})
                  {Object.keys(event.data).length > 0 && <code>{JSON.stringify(event.data)}</code>}
                </li>
              ))}
            </ol>
          </Section>
          <Section title="Params">
            <pre>{JSON.stringify(job.params, null, 2)}</pre>
          </Section>
        </>
      )}
    </main>
  );
}
