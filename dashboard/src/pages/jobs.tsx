/** The user's jobs, newest first, live over Realtime; a queued or running one can be canceled. */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import { type Api, describeError } from "../api.ts";
import { subscribeJobs } from "../live_jobs.ts";

// biome-ignore lint/suspicious/noExplicitAny: jobs as the API answers them.
type Job = any;

export function Jobs(props: { api: Api; supabase: SupabaseClient; userId: string }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [failure, setFailure] = useState<string>();
  const [live, setLive] = useState(true);
  const load = () =>
    props.api
      .call<{ data: Job[] }>("GET", "/v1/jobs?limit=50")
      .then((page) => setJobs(page.data))
      .catch((error) => setFailure(describeError(error)));

  useEffect(
    () =>
      subscribeJobs(props.supabase, props.userId, {
        onUpdate: ({ job }) =>
          setJobs((current) =>
            current.some((j) => j.id === job.id)
              ? current.map((j) => (j.id === job.id ? { ...j, ...job } : j))
              : [job, ...current],
          ),
        onJoined: () => void load(),
        onState: setLive,
      }),
    [],
  );

  const cancel = async (id: string) => {
    try {
      await props.api.call("POST", `/v1/jobs/${id}/cancel`);
      await load();
    } catch (error) {
      setFailure(describeError(error));
    }
  };

  return (
    <main>
      <h1>Jobs</h1>
      {!live && <p class="notice">Realtime connection lost: reconnecting…</p>}
      {failure && (
        <p class="error" role="alert">
          {failure}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>Type</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Cost</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} aria-label={`Job ${job.id}`}>
              <td>{job.id.slice(0, 8)}</td>
              <td>{job.type}</td>
              <td>{job.status}</td>
              <td>{job.progress?.percent === undefined ? "" : `${Math.round(job.progress.percent)}%`}</td>
              <td>{job.cost}</td>
              <td>
                {(job.status === "queued" || job.status === "running") && (
                  <button type="button" onClick={() => void cancel(job.id)}>
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
