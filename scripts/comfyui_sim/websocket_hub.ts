/**
 * The `/ws?clientId=` endpoint, after ComfyUI's server.py websocket_handler: one current socket per client id
 * (a reconnect with the same id takes over; without an id the server makes one up), a `status` message with the
 * `sid` on connect, the `feature_flags` handshake, and sending to one client (`send_sync(event, data, sid)`) or
 * to all (`sid` undefined). Events for a client with no open socket are dropped, as in ComfyUI.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";

export interface HubHooks {
  /** Messages a socket gets when it connects (status with its sid, the running node for its client). */
  greeting(sid: string): Array<{ type: string; data: unknown }>;
  /** Answer to a client's `feature_flags` message. */
  serverFeatures(): Record<string, unknown>;
}

export class WebSocketHub {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly current = new Map<string, WebSocket>();
  private readonly open = new Map<WebSocket, string>();

  private readonly hooks: HubHooks;

  constructor(hooks: HubHooks) {
    this.hooks = hooks;
  }

  /** Takes an HTTP upgrade for /ws or /api/ws; false for any other path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/ws" && url.pathname !== "/api/ws") return false;
    const sid = url.searchParams.get("clientId") || randomUUID().replaceAll("-", "");
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, sid));
    return true;
  }

  private accept(ws: WebSocket, sid: string): void {
    this.current.set(sid, ws);
    this.open.set(ws, sid);
    let first = true;
    ws.on("message", (data, isBinary) => {
      const wasFirst = first;
      first = false;
      if (isBinary || !wasFirst) return;
      try {
        const message = JSON.parse(String(data)) as { type?: string };
        if (message.type === "feature_flags") this.sendTo(ws, "feature_flags", this.hooks.serverFeatures());
      } catch {
        // ComfyUI logs and ignores what is not JSON.
      }
    });
    ws.on("close", () => {
      this.open.delete(ws);
      if (this.current.get(sid) === ws) this.current.delete(sid);
    });
    ws.on("error", () => {});
    for (const m of this.hooks.greeting(sid)) this.sendTo(ws, m.type, m.data);
  }

  private sendTo(ws: WebSocket, type: string, data: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type, data }));
  }

  /** To client `sid`'s current socket, or to every socket when `sid` is undefined. */
  send(type: string, data: unknown, sid?: string): void {
    if (sid === undefined) {
      for (const ws of this.open.keys()) this.sendTo(ws, type, data);
      return;
    }
    const ws = this.current.get(sid);
    if (ws) this.sendTo(ws, type, data);
  }

  /** Cuts every socket of client `sid` without a close handshake, like a dropped connection; returns how many. */
  drop(sid: string): number {
    const sockets = [...this.open].filter(([, s]) => s === sid).map(([ws]) => ws);
    for (const ws of sockets) ws.terminate();
    return sockets.length;
  }

  /** Open sockets. */
  get size(): number {
    return this.open.size;
  }

  close(): Promise<void> {
    for (const ws of this.open.keys()) ws.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
