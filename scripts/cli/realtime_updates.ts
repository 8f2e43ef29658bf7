/**
 * Job updates over Realtime: every job transition is broadcast (kiln.publish_job_update) to the owner's private
 * topic `user:<owner id>` as `{event_id, type, job: <job summary>}`, with the event named after the transition
 * (`job.progress`, `job.succeeded`…). Joining a private topic needs a signed-in user's access token, which the
 * Realtime server checks against the SELECT policy on realtime.messages; an API key cannot join.
 */
import type { JobSummary } from "../../shared/api/job_schema.ts";
import type { CliConfig } from "./config.ts";
import { supabaseClient, type UserSession } from "./session_store.ts";

/** How long a join may take before the client falls back to polling. */
const SUBSCRIBE_TIMEOUT_MS = 5000;
/** Refresh a stored session's token this long before it expires, and hand the new one to Realtime. */
const REFRESH_AHEAD_MS = 60_000;

export interface RealtimeHandlers {
  /** A job summary from any transition of any of the user's jobs. */
  onJob(job: JobSummary): void;
  /** The channel joined again after a drop: updates may have been missed, so re-check. */
  onRejoined(): void;
  /** The channel dropped (Realtime retries by itself); `false` while it is down. */
  onConnected(connected: boolean): void;
}

export interface RealtimeSubscription {
  close(): Promise<void>;
}

/**
 * Joins `user:<session user>` and calls `handlers` for what arrives; resolves once joined, rejects when the join
 * is refused or takes too long (and then leaves nothing open).
 */
export async function subscribeToJobUpdates(
  config: CliConfig,
  session: UserSession,
  handlers: RealtimeHandlers,
): Promise<RealtimeSubscription> {
  const client = await supabaseClient(config);
  await client.realtime.setAuth(session.accessToken);
  const channel = client.channel(`user:${session.userId}`, { config: { private: true } });
  channel.on("broadcast", { event: "*" }, (message) => {
    const job = (message.payload as { job?: JobSummary } | undefined)?.job;
    if (job && typeof job.id === "string") handlers.onJob(job);
  });

  let refreshTimer: NodeJS.Timeout | undefined;
  const close = async () => {
    clearTimeout(refreshTimer);
    await client.removeAllChannels().catch(() => {});
    client.realtime.disconnect();
  };
  const scheduleRefresh = (current: UserSession) => {
    if (!current.refresh || !current.expiresAt) return;
    const delay = Math.max(current.expiresAt * 1000 - Date.now() - REFRESH_AHEAD_MS, 1000);
    refreshTimer = setTimeout(async () => {
      try {
        const fresh = await current.refresh?.();
        if (!fresh) return;
        await client.realtime.setAuth(fresh.accessToken);
        scheduleRefresh(fresh);
      } catch {
        // The polling backstop carries on; Realtime ends when the old token expires.
      }
    }, delay);
    refreshTimer.unref();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let joined = false;
      const timer = setTimeout(
        () => reject(new Error(`no answer in ${SUBSCRIBE_TIMEOUT_MS / 1000} s`)),
        SUBSCRIBE_TIMEOUT_MS,
      );
      channel.subscribe((status, error) => {
        if (status === "SUBSCRIBED") {
          handlers.onConnected(true);
          if (joined) handlers.onRejoined();
          joined = true;
          clearTimeout(timer);
          resolve();
        } else if (!joined) {
          clearTimeout(timer);
          reject(new Error(error?.message ?? status.toLowerCase()));
        } else {
          handlers.onConnected(false);
        }
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  scheduleRefresh(session);
  return { close };
}
