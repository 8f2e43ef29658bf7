/**
 * One job, live: its updates over Realtime merged in as they come, a full read after every (re)join (so an update
 * missed while the socket was down is caught up) and whenever its status or phase changes, and its outputs
 * (fresh signed URLs) once it succeeded. `events` adds the job's event log to each read (the job page's timeline).
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "./api.ts";
import type { Job, Output } from "./job_view.tsx";
import { subscribeJobs } from "./live_jobs.ts";

export interface LiveJob {
  job: Job | undefined;
  outputs: Output[];
  /** Whether the Realtime connection is up. */
  live: boolean;
  /** Starts following another job (the Playground, after Generate). */
  follow(job: Job | undefined): void;
}

export function useLiveJob(
  api: Api,
  supabase: SupabaseClient,
  userId: string,
  options: { id?: string; events?: boolean; onError?(error: unknown): void } = {},
): LiveJob {
  const [job, setJob] = useState<Job>();
  const [outputs, setOutputs] = useState<Output[]>([]);
  const [live, setLive] = useState(true);
  const [id, setId] = useState(options.id);

  useEffect(() => {
    if (!id) return;
    const read = async () => {
      try {
        const fresh = await api.call<Job>("GET", `/v1/jobs/${id}${options.events ? "?include=events" : ""}`);
        setJob(fresh);
        if (fresh.status === "succeeded") {
          setOutputs((await api.call<{ outputs: Output[] }>("GET", `/v1/jobs/${id}/outputs`)).outputs);
        }
      } catch (error) {
        options.onError?.(error);
      }
    };
    let last = { status: "", phase: "" };
    return subscribeJobs(supabase, userId, {
      onUpdate: ({ job: update }) => {
        if (update.id !== id) return;
        setJob((current: Job) => ({ ...current, ...update }));
        if (update.status !== last.status || (update.phase ?? "") !== last.phase) void read();
        last = { status: update.status, phase: update.phase ?? "" };
      },
      onJoined: () => void read(),
      onState: setLive,
    });
  }, [id]);

  return {
    job,
    outputs,
    live,
    follow(next) {
      setJob(next);
      setOutputs([]);
      setId(next?.id);
    },
  };
}
