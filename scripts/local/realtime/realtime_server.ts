/** Supabase Realtime-compatible server for realtime-js (to be built). */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";

export interface RealtimeServer {
  /** Mounted at /realtime/v1: the REST broadcast endpoint. */
  app: Hono;
  /** Takes over an HTTP upgrade to /realtime/v1/websocket. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Starts relaying what realtime.send emits (LISTEN). */
  start(): Promise<void>;
  /** Closes every socket and the relay. */
  stop(): Promise<void>;
}

export function createRealtime(_ctx: StackContext): RealtimeServer {
  const app = new Hono();
  app.all("*", (c) => c.json({ message: "not implemented yet" }, 501));
  return {
    app,
    handleUpgrade: (_request, socket) => socket.destroy(),
    start: async () => {},
    stop: async () => {},
  };
}
