/**
 * The local stack's Supabase Realtime: Broadcast over WebSocket for realtime-js (vsn 1.0.0 and 2.0.0), private
 * topics authorized by RLS on realtime.messages, Broadcast from Database (relayed from NOTIFY) and REST
 * broadcast. Presence and Postgres Changes are refused at join.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { Hono } from "hono";
import { WebSocketServer } from "ws";
import type { StackContext } from "../stack_context.ts";
import { verifyToken } from "./authorization.ts";
import { TopicRegistry } from "./channels.ts";
import { serveConnection } from "./connection.ts";
import { parseVsn } from "./protocol.ts";
import { type Relay, startRelay } from "./relay.ts";
import { restBroadcastRoutes } from "./rest_broadcast.ts";

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

/** Broadcast payloads up to 3 MB, the Pro plan's limit. */
const maxPayload = 3 * 1024 * 1024;

/** Creates the Realtime server for the stack; nothing listens until `start()`. */
export function createRealtime(ctx: StackContext): RealtimeServer {
  const registry = new TopicRegistry();
  const deps = { sql: ctx.sql, keys: ctx.keys, registry };
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  const closers = new Set<() => void>();
  let relay: Relay | undefined;
  let stopped = false;

  const app = new Hono();
  app.route("/", restBroadcastRoutes(deps));

  const refuse = (socket: Duplex, status: string, message: string) => {
    const body = JSON.stringify({ message });
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  };

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const vsn = parseVsn(url.searchParams.get("vsn"));
    const apiKey = url.searchParams.get("apikey");
    if (stopped) return void socket.destroy();
    if (!vsn) return refuse(socket, "400 Bad Request", `unsupported vsn ${url.searchParams.get("vsn")}`);
    if (!apiKey) return refuse(socket, "401 Unauthorized", "No API key found in request");
    verifyToken(ctx.keys, apiKey).then(
      () => {
        if (stopped || socket.destroyed) return void socket.destroy();
        wss.handleUpgrade(request, socket, head, (ws) => {
          ws.binaryType = "nodebuffer";
          const close = serveConnection(ws, vsn, apiKey, deps);
          closers.add(close);
          ws.once("close", () => closers.delete(close));
        });
      },
      (error: unknown) => refuse(socket, "403 Forbidden", error instanceof Error ? error.message : "invalid apikey"),
    );
  };

  return {
    app,
    handleUpgrade,
    start: async () => {
      relay = await startRelay(ctx.dbUrl, ctx.sql, registry);
    },
    stop: async () => {
      stopped = true;
      for (const close of closers) close();
      closers.clear();
      await relay?.stop();
      await new Promise((resolve) => wss.close(() => resolve(undefined)));
    },
  };
}
