/**
 * Queue wake-ups over Supabase Realtime: a supabase-js subscription to the public broadcast topic the workers
 * function names (`kiln:queue`), event `job_available` with payload `{type, priority}`. Every broadcast for a job
 * type this worker runs, and every (re)subscribe (broadcasts missed while away are lost), calls `onWake`. A hint
 * only: the worker claims through the function either way, and polls as a backstop.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Logger } from "./log.ts";

export interface QueueWakeupsOptions {
  url: string;
  anonKey: string;
  /** The WebSocket constructor realtime-js uses (Node 20: the `ws` package). */
  WebSocket: unknown;
  log: Logger;
}

export class QueueWakeups {
  private readonly options: QueueWakeupsOptions;
  private client: SupabaseClient | undefined;
  private joined = false;
  private everJoined = false;

  constructor(options: QueueWakeupsOptions) {
    this.options = options;
  }

  /** Whether the subscription is joined now. */
  get subscribed(): boolean {
    return this.joined;
  }

  /** Subscribes to `topic`; `onWake` runs for each wake-up of one of `jobTypes` and after each (re)subscribe. */
  start(topic: string, jobTypes: readonly string[], onWake: () => void): void {
    const { url, anonKey, log } = this.options;
    this.client = createClient(url, anonKey, {
      realtime: { transport: this.options.WebSocket as never },
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    this.client
      .channel(topic)
      .on("broadcast", { event: "job_available" }, (message: { payload?: { type?: unknown } }) => {
        const type = message.payload?.type;
        if (typeof type !== "string" || jobTypes.includes(type)) onWake();
      })
      .subscribe((status, error) => {
        if (status === "SUBSCRIBED") {
          this.joined = true;
          log.info(`realtime ${this.everJoined ? "re" : ""}subscribed to ${topic}`);
          this.everJoined = true;
          onWake();
        } else if (this.joined || status !== "CLOSED") {
          this.joined = false;
          log.warn(`realtime ${topic}: ${status}${error ? ` (${error.message})` : ""}; polling until it is back`);
        }
      });
  }

  async stop(): Promise<void> {
    this.joined = false;
    const client = this.client;
    this.client = undefined;
    if (client) await disconnectRealtime(client);
  }
}

/**
 * Removes every channel and closes the socket. realtime-js 2.109's disconnect() waits for the close with a
 * 10 s timer it never clears, which keeps a stopped worker's event loop (a test's process) alive that long:
 * where its socket adapter is there, close through it with a short timeout instead.
 */
export async function disconnectRealtime(client: SupabaseClient): Promise<void> {
  for (const channel of client.getChannels()) await client.removeChannel(channel).catch(() => "error");
  const rt = client.realtime as unknown as {
    _cancelPendingDisconnect?: () => void;
    socketAdapter?: { disconnect?: (done: () => void, code?: number, reason?: string, timeoutMs?: number) => unknown };
  };
  if (typeof rt._cancelPendingDisconnect === "function" && typeof rt.socketAdapter?.disconnect === "function") {
    rt._cancelPendingDisconnect();
    await rt.socketAdapter.disconnect(() => {}, 1000, "closed", 200);
  } else {
    await client.realtime.disconnect();
  }
}
