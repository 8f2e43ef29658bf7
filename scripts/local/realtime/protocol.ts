/**
 * The Phoenix wire formats realtime-js speaks. vsn 1.0.0: JSON objects `{topic, event, payload, ref, join_ref}`.
 * vsn 2.0.0: JSON arrays `[join_ref, ref, topic, event, payload]`, plus binary frames for user broadcasts: the
 * client pushes kind 3 (`userBroadcastPush`) and receives kind 4 (`userBroadcast`), whose payload stays bytes
 * (realtime-js lib/serializer.js).
 */

export type Vsn = "1.0.0" | "2.0.0";

/** One message on the socket, either way. */
export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
  /** A binary user broadcast push (vsn 2.0.0), kept apart so no JSON payload can pass for one. */
  binary?: BinaryBroadcast;
}

/** A broadcast as it travels to subscribers: JSON, or a binary user broadcast kept as its bytes. */
export type Broadcast =
  | { kind: "json"; payload: { type: "broadcast"; event: string; payload: unknown; meta?: { id: string } } }
  | BinaryBroadcast;

/** A user broadcast whose payload stays the bytes the client pushed. */
export interface BinaryBroadcast {
  kind: "binary";
  event: string;
  encoding: PayloadEncoding;
  data: Uint8Array;
}

/** How a binary user broadcast's payload is encoded: 0 raw bytes, 1 JSON text. */
export type PayloadEncoding = 0 | 1;

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;
const JSON_ENCODING = 1;

/** The vsn a socket asked for; undefined when it is one this server does not speak. */
export function parseVsn(value: string | null): Vsn | undefined {
  if (value === null || value === "1.0.0") return "1.0.0";
  return value === "2.0.0" ? "2.0.0" : undefined;
}

/** Decodes a client frame; throws on anything malformed. */
export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): Frame {
  if (isBinary) {
    if (vsn !== "2.0.0") throw new Error("binary frames need vsn 2.0.0");
    return decodeUserBroadcastPush(data);
  }
  const parsed: unknown = JSON.parse(data.toString("utf8"));
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length !== 5) throw new Error("a vsn 2.0.0 frame is a 5-element array");
    const [joinRef, ref, topic, event, payload] = parsed;
    return frame(joinRef, ref, topic, event, payload);
  }
  if (typeof parsed !== "object" || parsed === null) throw new Error("a vsn 1.0.0 frame is an object");
  const o = parsed as Record<string, unknown>;
  return frame(o.join_ref, o.ref, o.topic, o.event, o.payload);
}

function frame(joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): Frame {
  if (typeof topic !== "string" || typeof event !== "string") throw new Error("topic and event must be strings");
  return { joinRef: optionalString(joinRef), ref: optionalString(ref), topic, event, payload };
}

function optionalString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * Kind 3: `[kind, join_ref len, ref len, topic len, event len, metadata len, encoding]`, the five strings, then
 * the payload, which stays bytes.
 */
function decodeUserBroadcastPush(data: Buffer): Frame {
  if (data.length < 7 || data[0] !== USER_BROADCAST_PUSH) throw new Error("unknown binary frame");
  const lengths = [data[1], data[2], data[3], data[4], data[5]];
  const encoding: PayloadEncoding = data[6] === JSON_ENCODING ? 1 : 0;
  let offset = 7;
  // realtime-js writes each string one char code per byte.
  const [joinRef, ref, topic, event] = lengths.map((length) => {
    const s = data.toString("latin1", offset, offset + length);
    offset += length;
    return s;
  });
  if (offset > data.length) throw new Error("truncated binary frame");
  const binary: BinaryBroadcast = { kind: "binary", event, encoding, data: data.subarray(offset) };
  return { joinRef: joinRef || null, ref: ref || null, topic, event: "broadcast", payload: undefined, binary };
}

/** Encodes a frame for a socket of the given vsn. */
export function encodeFrame(f: Frame, vsn: Vsn): string {
  if (vsn === "2.0.0") return JSON.stringify([f.joinRef, f.ref, f.topic, f.event, f.payload]);
  return JSON.stringify({ topic: f.topic, event: f.event, payload: f.payload, ref: f.ref, join_ref: f.joinRef });
}

/**
 * Encodes a broadcast on `topic` (the wire topic, `realtime:…`). A binary user broadcast goes to vsn 2.0.0
 * sockets as a kind 4 frame and to vsn 1.0.0 sockets as JSON, or not at all when its payload is raw bytes
 * (JSON cannot carry them: the real server drops it too). Undefined means "do not send".
 */
export function encodeBroadcast(topic: string, b: Broadcast, vsn: Vsn): string | Buffer | undefined {
  if (b.kind === "binary") {
    if (vsn === "2.0.0") return encodeUserBroadcast(topic, b);
    if (b.encoding !== JSON_ENCODING) return undefined;
    const payload = JSON.parse(Buffer.from(b.data).toString("utf8"));
    return encodeFrame(broadcastFrame(topic, { type: "broadcast", event: b.event, payload }), vsn);
  }
  return encodeFrame(broadcastFrame(topic, b.payload), vsn);
}

function broadcastFrame(topic: string, payload: unknown): Frame {
  return { joinRef: null, ref: null, topic, event: "broadcast", payload };
}

/** Kind 4: `[kind, topic len, event len, metadata len, encoding]`, topic, event, metadata, payload. */
function encodeUserBroadcast(topic: string, b: BinaryBroadcast): Buffer {
  const topicBytes = Buffer.from(topic, "utf8");
  const eventBytes = Buffer.from(b.event, "utf8");
  if (topicBytes.length > 255 || eventBytes.length > 255) throw new Error("topic or event longer than 255 bytes");
  const header = Buffer.from([USER_BROADCAST, topicBytes.length, eventBytes.length, 0, b.encoding]);
  return Buffer.concat([header, topicBytes, eventBytes, b.data]);
}

/** The JSON broadcast of a user payload (client pushes in JSON, REST, the database). */
export function jsonBroadcast(event: string, payload: unknown, id?: string): Broadcast {
  return { kind: "json", payload: { type: "broadcast", event, payload, ...(id ? { meta: { id } } : {}) } };
}
