/**
 * The user's jobs, newest first, live over Realtime: filters by status and type, cursor paging, a thumbnail of a
 * finished job's first image, cancel for a queued or running one, and a link to each job's page.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api.ts";
import { subscribeJobs } from "../live_jobs.ts";
import { Failure, useAction } from "../ui.tsx";

// biome-ignore lint/suspicious/noExplicitAny: jobs as the API answers them.
type Job = any;
interface Page {
  data: Job[];
  next_cursor: string | null;
}

const STATUSES = ["queued", "running", "succeeded", "failed", "canceled"];
const PAGE_SIZE = 20;

/** The first image output's fresh signed URL, per finished job (read once, when its row shows). */
function useThumbnails(api: Api, jobs: Job[]): Record<string, string> {
  const [thumbs, setThumbs] = useState<Record<string, string>>({});
  useEffect(() => {
    for (const job of jobs) {
      if (job.status !== "succeeded" || job.id in thumbs) continue;
      setThumbs((t) => ({ ...t, [job.id]: "" }));
      void api
        .call<{ outputs: { url: string | null; content_type?: string }[] }>("GET", `/v1/jobs/${job.id}/outputs`)
        .then(({ outputs }) => {
          const image = outputs.find((o) => o.url && o.content_type?.startsWith("image/"));
          if (image?.url) setThumbs((t) => ({ ...t, [job.id]: image.url as string }));
        })
        .catch(() => {});
    }
  }, [jobs]);
  return thumbs;
}

export function Jobs(props: { api: Api; supabase: SupabaseClient; userId: string }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [status, setStatus] = useState("");
  const [type, setType] = useState("");
  // The cursors of the pages before this one, and of the next.
  const [cursors, setCursors] = useState<string[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [failure, run] = useAction();
  const [live, setLive] = useState(true);
  const [loaded, setLoaded] = useState(false);
  const thumbs = useThumbnails(props.api, jobs);

  const query = (cursor: string | undefined) => {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status) q.set("status", status);
    if (type) q.set("type", type);
    if (cursor) q.set("cursor", cursor);
    return `/v1/jobs?${q}`;
  };
  const load = (cursor = cursors.at(-1)) =>
    run(async () => {
      const page = await props.api.call<Page>("GET", query(cursor));
      setJobs(page.data);
      setNext(page.next_cursor);
      setLoaded(true);
    });
  const matches = (job: Job) => (!status || job.status === status) && (!type || job.type === type);

  useEffect(() => {
    setCursors([]);
    void load(undefined);
  }, [status, type]);
  useEffect(
    () =>
      subscribeJobs(props.supabase, props.userId, {
        onUpdate: ({ job }) =>
          setJobs((current) => {
            if (current.some((j) => j.id === job.id)) {
              return current.map((j) => (j.id === job.id ? { ...j, ...job } : j));
            }
            // A new job belongs at the top of the first page, when the filters let it in.
            return cursors.length === 0 && matches(job) ? [job, ...current].slice(0, PAGE_SIZE) : current;
          }),
        onJoined: () => void load(),
        onState: setLive,
      }),
    [status, type, cursors.length],
  );

  const cancel = (id: string) =>
    run(async () => {
      await props.api.call("POST", `/v1/jobs/${id}/cancel`);
      await load();
    });
  const turn = (to: string[]) => {
    setCursors(to);
    void load(to.at(-1));
  };

  return (
    <main>
      <h1>Jobs</h1>
      {!live && <p class="notice">Realtime connection lost: reconnecting…</p>}
      <Failure text={failure} />
      <div class="filters">
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Type</span>
          <input value={type} placeholder="any" onChange={(e) => setType(e.currentTarget.value.trim())} />
        </label>
      </div>
      <table>
        <thead>
          <tr>
            <th />
            <th>Job</th>
            <th>Type</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Cost</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} aria-label={`Job ${job.id}`}>
              <td>{thumbs[job.id] && <img class="thumb" src={thumbs[job.id]} alt={`Output of ${job.id}`} />}</td>
              <td>
                <a href={`#job/${job.id}`}>{job.id.slice(0, 8)}</a>
              </td>
              <td>{job.type}</td>
              <td>{job.status}</td>
              <td>{job.progress?.percent === undefined ? "" : `${Math.round(job.progress.percent)}%`}</td>
              <td>{job.cost}</td>
              <td>{new Date(job.created_at).toLocaleString()}</td>
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
      {!loaded && <p>Loading…</p>}
      {loaded && jobs.length === 0 && <p>No jobs{status || type ? " match these filters" : " yet"}.</p>}
      <nav class="pager">
        <button type="button" disabled={cursors.length === 0} onClick={() => turn(cursors.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!next} onClick={() => next && turn([...cursors, next])}>
          Older
        </button>
      </nav>
    </main>
  );
}
