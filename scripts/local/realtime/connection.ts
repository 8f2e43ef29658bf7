/**
 * One realtime-js socket: its joined channels and the Phoenix messages it sends (join, leave, heartbeat,
 * broadcast, access_token), handled in arrival order and answered as Supabase Realtime answers them
 * (supabase/realtime lib/realtime_web/channels/realtime_channel.ex).
 */
import type postgres from "postgres";
import type { WebSocket } from "ws";
import type { JwtKeys } from "../jwt_keys.ts";
import { type Claims, canAccessTopic, TokenError, verifyToken } from "./authorization.ts";
import type { Subscription, TopicRegistry } from "./channels.ts";
import { type Broadcast, decodeFrame, encodeFrame, type Frame, jsonBroadcast, type Vsn } from "./protocol.ts";

export interface ConnectionDeps {
  sql: postgres.Sql;
  keys: JwtKeys;
  registry: TopicRegistry;
}

/** A joined channel with what the socket knows about it. */
interface Channel extends Subscription {
  joinRef: string | null;
  ack: boolean;
  token: string;
  claims: Claims;
  /** Broadcast write permission, checked at the first broadcast of a private channel, as the real server does. */
  canWrite?: boolean;
  /** Re-verifies the token when it expires (at most an hour ahead). */
  expiryTimer?: NodeJS.Timeout;
}

type Refusal = { reason: string };

/** Hour cap of the expiry timer, like the real server's; also keeps the delay inside setTimeout's range. */
const maxConfirmMs = 3_600_000;

/** Serves one upgraded socket until it closes; `apiKey` (verified) stands in for a join without access_token. */
export function serveConnection(ws: WebSocket, vsn: Vsn, apiKey: string, deps: ConnectionDeps): () => void {
  const channels = new Map<string, Channel>();
  let tail = Promise.resolve();
  let closed = false;

  const send = (data: string | Buffer) => {
    if (!closed) ws.send(data);
  };
  const push = (f: Frame) => send(encodeFrame(f, vsn));
  const reply = (f: Frame, status: "ok" | "error", response: object) =>
    push({ joinRef: f.joinRef, ref: f.ref, topic: f.topic, event: "phx_reply", payload: { status, response } });

  const drop = (channel: Channel) => {
    clearTimeout(channel.expiryTimer);
    deps.registry.remove(channel);
    if (channels.get(`realtime:${channel.topic}`) === channel) channels.delete(`realtime:${channel.topic}`);
  };
  /** Closes a channel from the server side: a `system` error the client can show, then `phx_close`. */
  const shutdown = (channel: Channel, message: string) => {
    drop(channel);
    const topic = `realtime:${channel.topic}`;
    const system = { extension: "system", status: "error", message, channel: channel.topic };
    push({ joinRef: channel.joinRef, ref: null, topic, event: "system", payload: system });
    push({ joinRef: channel.joinRef, ref: null, topic, event: "phx_close", payload: {} });
  };
  const armExpiry = (channel: Channel) => {
    clearTimeout(channel.expiryTimer);
    const delay = Math.min(maxConfirmMs, Math.max(0, channel.claims.exp * 1000 - Date.now()));
    channel.expiryTimer = setTimeout(() => {
      verifyToken(deps.keys, channel.token).then(
        (claims) => {
          channel.claims = claims;
          armExpiry(channel);
        },
        (error: unknown) => shutdown(channel, error instanceof Error ? error.message : String(error)),
      );
    }, delay + 1000);
    channel.expiryTimer.unref();
  };

  const join = async (f: Frame): Promise<Refusal | undefined> => {
    if (!f.topic.startsWith("realtime:")) return { reason: "unmatched topic" };
    const topic = f.topic.slice("realtime:".length);
    if (topic === "") return { reason: "TopicNameRequired: You must provide a topic name" };
    const payload = (f.payload ?? {}) as { config?: JoinConfig; access_token?: unknown };
    const config = payload.config ?? {};
    if (Array.isArray(config.postgres_changes) && config.postgres_changes.length > 0) {
      return { reason: "postgres_changes are not supported by the local stack" };
    }
    if (config.presence?.enabled) return { reason: "presence is not supported by the local stack" };
    const given = payload.access_token;
    const token = typeof given === "string" && given !== "" && !given.startsWith("sb_") ? given : apiKey;
    const claims = await verifyToken(deps.keys, token);
    const isPrivate = config.private === true;
    if (isPrivate && !(await canAccessTopic(deps.sql, topic, claims, "read"))) {
      return { reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}` };
    }
    if (closed) return undefined;
    const previous = channels.get(f.topic);
    if (previous) drop(previous);
    const channel: Channel = {
      topic,
      private: isPrivate,
      self: config.broadcast?.self === true,
      ack: config.broadcast?.ack === true,
      vsn,
      send,
      joinRef: f.joinRef,
      token,
      claims,
    };
    channels.set(f.topic, channel);
    deps.registry.add(channel);
    armExpiry(channel);
    return undefined;
  };

  const broadcast = async (f: Frame, channel: Channel) => {
    const message = f.binary ?? toBroadcast(f.payload);
    if (!message) return;
    if (channel.private) {
      channel.canWrite ??= await canAccessTopic(deps.sql, channel.topic, channel.claims, "write");
      // The real server drops a broadcast the channel may not write, without a reply.
      if (!channel.canWrite) return;
    }
    deps.registry.fanOut(channel.topic, channel.private, message, channel);
    if (channel.ack) reply(f, "ok", {});
  };

  const refreshToken = async (f: Frame, channel: Channel) => {
    const token = (f.payload as { access_token?: unknown } | null)?.access_token;
    if (typeof token !== "string" || token === channel.token || token.startsWith("sb_")) return;
    try {
      const claims = await verifyToken(deps.keys, token);
      if (channel.private && !(await canAccessTopic(deps.sql, channel.topic, claims, "read"))) {
        shutdown(channel, `You no longer have permission to read from this Channel topic: ${channel.topic}`);
        return;
      }
      Object.assign(channel, { token, claims, canWrite: undefined });
      armExpiry(channel);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      shutdown(channel, error.message);
    }
  };

  const handle = async (f: Frame) => {
    if (f.topic === "phoenix" && f.event === "heartbeat") return reply(f, "ok", {});
    if (f.event === "phx_join") {
      try {
        const refusal = await join(f);
        return refusal ? reply(f, "error", refusal) : reply(f, "ok", { postgres_changes: [] });
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        return reply(f, "error", { reason: error.message });
      }
    }
    const channel = channels.get(f.topic);
    if (!channel) return reply(f, "error", { reason: "unmatched topic" });
    if (f.event === "phx_leave") {
      drop(channel);
      return reply(f, "ok", {});
    }
    if (f.event === "broadcast") return broadcast(f, channel);
    if (f.event === "access_token") return refreshToken(f, channel);
  };

  const onMessage = (data: Buffer, isBinary: boolean) => {
    let f: Frame;
    try {
      f = decodeFrame(data, isBinary, vsn);
    } catch {
      ws.close(1003, "malformed frame");
      return;
    }
    tail = tail
      .then(() => handle(f))
      .catch((error: unknown) => {
        console.error("realtime:", error);
        reply(f, "error", { reason: "Unknown Error on Channel" });
      });
  };
  const onClose = () => {
    closed = true;
    for (const channel of channels.values()) drop(channel);
  };
  ws.on("message", onMessage);
  ws.on("close", onClose);
  ws.on("error", () => ws.terminate());
  return () => ws.terminate();
}

interface JoinConfig {
  broadcast?: { ack?: boolean; self?: boolean };
  presence?: { enabled?: boolean };
  postgres_changes?: unknown[];
  private?: boolean;
}

/** A client's JSON broadcast push: `{type: 'broadcast', event, payload}`. */
function toBroadcast(payload: unknown): Broadcast | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const p = payload as { event?: unknown; payload?: unknown };
  return typeof p.event === "string" ? jsonBroadcast(p.event, p.payload) : undefined;
}
