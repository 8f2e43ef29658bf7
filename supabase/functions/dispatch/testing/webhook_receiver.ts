/**
 * A real webhook receiver on loopback for tests: records every request (headers, body, arrival time) and answers
 * what the test says, after an optional delay (to make the sender time out).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** performance.now() when the request's body had arrived. */
  at: number;
  /** What the receiver answered. */
  status: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port><path> */
  url(path?: string): string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** How to answer from now on (default 204). */
  reply(answer: (request: ReceivedRequest) => Reply): void;
  /** Resolves when `predicate` holds for the requests so far; fails after `timeoutMs`. */
  until(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let answer: (request: ReceivedRequest) => Reply = () => ({ status: 204 });
  const waiters = new Set<() => void>();
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const request: ReceivedRequest = {
      path: req.url ?? "/",
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body,
      at: performance.now(),
      status: 0,
    };
    const reply = answer(request);
    request.status = reply.status ?? 204;
    requests.push(request);
    for (const wake of waiters) wake();
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    res.writeHead(request.status, reply.headers);
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    reply(next) {
      answer = next;
    },
    async until(predicate, timeoutMs = 5000) {
      if (predicate(requests)) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `the receiver did not get what was expected within ${timeoutMs} ms (${requests.length} requests)`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (!predicate(requests)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A port nothing listens on (a receiver that is down): bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
