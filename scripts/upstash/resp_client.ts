/**
 * A small Redis client over node:net speaking RESP2: one connection, commands answered in order (Redis
 * answers pipelined commands in the order sent). Enough for the Upstash REST proxy; not a general client.
 */
import { connect, type Socket } from "node:net";

/** A Redis error reply (`-ERR …`, `-NOSCRIPT …`), kept apart from transport failures. */
export class RedisReplyError extends Error {}

/** A decoded reply: bulk strings stay bytes, so the proxy can hand them back as base64 unchanged. */
export type RespValue = Buffer | string | number | null | RedisReplyError | RespValue[];

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export interface RespClient {
  /** Sends one command; resolves with its reply (an error reply is resolved as a RedisReplyError). */
  command(args: readonly unknown[]): Promise<RespValue>;
  close(): void;
}

/** Connects to `redis://host:port` (password and database from the URL are honoured). */
export async function connectResp(redisUrl: string): Promise<RespClient> {
  const url = new URL(redisUrl);
  const socket: Socket = connect({ host: url.hostname || "127.0.0.1", port: Number(url.port || 6379) });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const pending: Pending[] = [];
  let buffer = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const parsed = parseReply(buffer, 0);
      if (!parsed) break;
      buffer = buffer.subarray(parsed.end);
      pending.shift()?.resolve(parsed.value);
    }
  });
  const failAll = (error: Error) => {
    for (const p of pending.splice(0)) p.reject(error);
  };
  socket.on("error", failAll);
  socket.on("close", () => failAll(new Error("the Redis connection closed")));
  const client: RespClient = {
    command(args) {
      return new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        socket.write(encodeCommand(args));
      });
    },
    close: () => socket.destroy(),
  };
  if (url.password) await expectOk(client, ["AUTH", ...(url.username ? [url.username] : []), url.password]);
  const db = url.pathname.slice(1);
  if (db) await expectOk(client, ["SELECT", db]);
  return client;
}

async function expectOk(client: RespClient, args: unknown[]): Promise<void> {
  const reply = await client.command(args);
  if (reply instanceof RedisReplyError) throw reply;
}

/** A command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly unknown[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(typeof arg === "string" ? arg : JSON.stringify(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** One reply starting at `at`, or undefined while it is incomplete. */
export function parseReply(buf: Buffer, at: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buf.indexOf("\r\n", at);
  if (lineEnd < 0) return undefined;
  const line = buf.toString("utf8", at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buf[at])) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RedisReplyError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return undefined;
      return { value: buf.subarray(next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(buf[at])}`);
  }
}
