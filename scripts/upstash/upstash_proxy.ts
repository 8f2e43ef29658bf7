/**
 * An Upstash-REST-compatible proxy over a real Redis, so @upstash/redis and @upstash/ratelimit run unmodified
 * in tests and on the local stack (what Upstash's SRH does, in-process). The protocol, as @upstash/redis
 * speaks it: POST / with one command array → {result}; POST /pipeline and /multi-exec with an array of commands
 * → [{result} | {error}, …]; `Authorization: Bearer <token>` or 401; Redis errors → 400 {error} with Redis's
 * text (NOSCRIPT stays NOSCRIPT); `Upstash-Encoding: base64` → every string of a result base64-encoded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LuaFlagRewriter } from "./lua_flags.ts";
import { connectResp, RedisReplyError, type RespClient, type RespValue } from "./resp_client.ts";

export interface UpstashProxyOptions {
  /** redis://host:port of the Redis behind; redis://127.0.0.1:6379 by default. */
  redisUrl?: string;
  /** The bearer token clients must send (UPSTASH_REDIS_REST_TOKEN). */
  token: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
}

export interface UpstashProxy {
  /** UPSTASH_REDIS_REST_URL for clients. */
  url: string;
  stop(): Promise<void>;
}

type Command = unknown[];
type Entry = { result: unknown } | { error: string };

/** Starts the proxy; it connects to Redis on the first request (and again after losing the connection). */
export async function startUpstashProxy(options: UpstashProxyOptions): Promise<UpstashProxy> {
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const lua = new LuaFlagRewriter();
  let client: Promise<RespClient> | undefined;
  const redis = () => {
    client ??= connectResp(redisUrl).then(
      (c): RespClient => ({ command: (args) => c.command(lua.command([...args])), close: () => c.close() }),
      (error) => {
        client = undefined;
        throw error;
      },
    );
    return client;
  };
  const server = createServer((req, res) => {
    handle(req, res, options.token, redis).catch((error) => {
      client = undefined;
      send(res, 500, { error: `ERR proxy: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (client) (await client.catch(() => undefined))?.close();
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  token: string,
  redis: () => Promise<RespClient>,
): Promise<void> {
  if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: "Unauthorized" });
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return send(res, 400, { error: "ERR failed to parse the command: the body is not JSON" });
  }
  const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
  const path = new URL(req.url ?? "/", "http://proxy").pathname.replace(/\/+$/, "");
  const client = await redis();
  if (path === "") {
    if (!isCommand(body)) return send(res, 400, { error: "ERR the body must be a command array" });
    const reply = await client.command(body);
    if (reply instanceof RedisReplyError) return send(res, 400, { error: reply.message });
    return send(res, 200, { result: toJson(reply, base64) });
  }
  if (path !== "/pipeline" && path !== "/multi-exec") return send(res, 404, { error: `ERR unknown path ${path}` });
  if (!Array.isArray(body) || !body.every(isCommand)) {
    return send(res, 400, { error: "ERR the body must be an array of command arrays" });
  }
  const replies = path === "/pipeline" ? await pipeline(client, body) : await transaction(client, body);
  if (replies instanceof RedisReplyError) return send(res, 400, { error: replies.message });
  send(
    res,
    200,
    replies.map((reply): Entry => entry(reply, base64)),
  );
}

/** Every command written in one go (nothing else can slip in between), the replies awaited together. */
function pipeline(client: RespClient, commands: Command[]): Promise<RespValue[]> {
  return Promise.all(commands.map((command) => client.command(command)));
}

/** MULTI, the commands, EXEC: written in one go, so another request's command never lands inside. */
async function transaction(client: RespClient, commands: Command[]): Promise<RespValue[] | RedisReplyError> {
  const replies = await pipeline(client, [["MULTI"], ...commands, ["EXEC"]]);
  const exec = replies[replies.length - 1];
  if (exec instanceof RedisReplyError) return exec;
  return Array.isArray(exec) ? exec : new RedisReplyError("EXECABORT the transaction was discarded");
}

function entry(reply: RespValue, base64: boolean): Entry {
  return reply instanceof RedisReplyError ? { error: reply.message } : { result: toJson(reply, base64) };
}

/** A reply as JSON: bulk strings as text, or base64 of their bytes; numbers and null as they are. */
function toJson(reply: RespValue, base64: boolean): unknown {
  if (reply === null || typeof reply === "number") return reply;
  if (reply instanceof RedisReplyError) return reply.message;
  if (Array.isArray(reply)) return reply.map((item) => toJson(item, base64));
  const bytes = typeof reply === "string" ? Buffer.from(reply, "utf8") : reply;
  return base64 ? bytes.toString("base64") : bytes.toString("utf8");
}

function isCommand(value: unknown): value is Command {
  return Array.isArray(value) && value.length > 0 && typeof value[0] === "string";
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
