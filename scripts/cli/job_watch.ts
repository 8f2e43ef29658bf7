/**
 * Follows one job until it ends. With a user session, updates come over Realtime and GET /v1/jobs/:id runs as a
 * backstop every few seconds; without one (or when Realtime refuses), the client polls every 500 ms. The terminal
 * state cannot be missed: the job is read once right after every (re)join, so a transition broadcast before the
 * channel was up is still seen, and the backstop catches anything a dropped connection lost.
 */
import type { Job, JobSummary } from "../../shared/api/job_schema.ts";
import { FINAL_STATUSES } from "../../shared/job_states.ts";
import { type ApiClient, ApiError } from "./api_client.ts";
import type { CliConfig } from "./config.ts";
import { type RealtimeSubscription, subscribeToJobUpdates } from "./realtime_updates.ts";
import type { UserSession } from "./session_store.ts";

export const POLL_INTERVAL_MS = 500;
export const BACKSTOP_INTERVAL_MS = 3000;

export type UpdateSource = "realtime" | "poll";

export interface WatchOptions {
  api: ApiClient;
  config: CliConfig;
  jobId: string;
  /** Follow over Realtime as this user; undefined → polling. */
  session?: UserSession;
  /** The poll interval while Realtime is up (default 3 s). */
  backstopMs?: number;
  onUpdate(job: Job | JobSummary, source: UpdateSource): void;
  /** A line about how the job is followed (Realtime or polling, and why). */
  onNote(line: string): void;
  signal?: AbortSignal;
}

/** Errors worth riding out while waiting: the API unreachable for a moment, rate limits, server errors. */
const transient = (error: unknown) =>
  error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500);

/** Follows the job; resolves with its final state, or undefined if `signal` aborted first. */
export async function watchJob(options: WatchOptions): Promise<Job | JobSummary | undefined> {
  const { api, jobId, signal } = options;
  let final: Job | JobSummary | undefined;
  let realtimeUp = false;
  /** Set when the channel rejoined: read the job again before sleeping. */
  let recheck = false;
  let wakeUp = () => {};
  const accept = (job: Job | JobSummary, source: UpdateSource) => {
    if (job.id !== jobId || final) return;
    options.onUpdate(job, source);
    if (FINAL_STATUSES.includes(job.status)) {
      final = job;
      wakeUp();
    }
  };

  let subscription: RealtimeSubscription | undefined;
  if (options.session) {
    try {
      subscription = await subscribeToJobUpdates(options.config, options.session, {
        onJob: (job) => accept(job, "realtime"),
        onRejoined: () => {
          recheck = true;
          wakeUp();
        },
        onConnected: (up) => {
          realtimeUp = up;
        },
      });
      realtimeUp = true;
      const who = options.session.email ?? options.session.userId;
      options.onNote(`Following over Realtime as ${who} (${options.session.source}).`);
    } catch (error) {
      options.onNote(`Realtime unavailable (${(error as Error).message}); polling every ${POLL_INTERVAL_MS} ms.`);
    }
  } else {
    options.onNote(
      `Polling every ${POLL_INTERVAL_MS} ms (no user session: \`kiln login\` or KILN_ACCESS_TOKEN gives live updates over Realtime).`,
    );
  }

  let lastTransient = "";
  try {
    while (!final && !signal?.aborted) {
      try {
        accept(await api.getJob(jobId), "poll");
        lastTransient = "";
      } catch (error) {
        if (!transient(error)) throw error;
        const message = (error as Error).message;
        if (message !== lastTransient) options.onNote(`Still waiting: ${message}`);
        lastTransient = message;
      }
      if (final) break;
      if (recheck) {
        recheck = false;
        continue;
      }
      const interval = realtimeUp ? (options.backstopMs ?? BACKSTOP_INTERVAL_MS) : POLL_INTERVAL_MS;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, interval);
        wakeUp = done;
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  } finally {
    await subscription?.close();
  }
  return final;
}
