/**
 * The signed-in user's jobs, live: Kiln broadcasts every change of a job on the private Realtime topic
 * `user:<id>` (RLS lets only its owner join). A page subscribes with a callback; after every (re)join the page is
 * told to read again, so an update missed while the socket was down is caught up. `onState` reports whether the
 * socket is up, for the page to say so.
 */
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";

export interface JobUpdate {
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: the job summary as the API's schema describes it.
  job: any;
}

export function subscribeJobs(
  supabase: SupabaseClient,
  userId: string,
  handlers: { onUpdate(update: JobUpdate): void; onJoined(): void; onState(up: boolean): void },
): () => void {
  let channel: RealtimeChannel | undefined;
  let stopped = false;
  const join = async () => {
    const { data } = await supabase.auth.getSession();
    if (data.session) await supabase.realtime.setAuth(data.session.access_token);
    if (stopped) return;
    channel = supabase.channel(`user:${userId}`, { config: { private: true } });
    channel.on("broadcast", { event: "*" }, (message) => {
      const job = (message.payload as { job?: unknown }).job;
      if (job) handlers.onUpdate({ event: message.event, job });
    });
    channel.subscribe((status) => {
      if (status === "SUBSCRIBED") {
        handlers.onState(true);
        handlers.onJoined();
      } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") {
        handlers.onState(false);
      }
    });
  };
  void join();
  return () => {
    stopped = true;
    if (channel) void supabase.removeChannel(channel);
  };
}
