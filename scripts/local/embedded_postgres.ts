/**
 * Serves an embedded PGlite over the PostgreSQL wire protocol, so the local stack reaches it with the same
 * `postgres` client and SUPABASE_DB_URL that Edge Functions use against a real project.
 *
 * PGlite is one database session shared by every connection, and pglite-socket passes each protocol message
 * on as it comes, so two clients' extended-protocol batches (Parse, Bind, Execute, Sync) can interleave and
 * clobber each other's unnamed portal. A proxy in front of it therefore:
 * - runs one batch at a time across all connections: a client's batch (up to its Sync or Query) goes through
 *   only when no other client holds the session, and the client keeps it until the backend says it is idle
 *   again (ReadyForQuery 'I'), so a transaction also runs alone;
 * - re-routes notifications: the session delivers a NOTIFY only on the connection whose query committed it, so
 *   the proxy notes which connections LISTEN on which channels and hands each NotificationResponse to those.
 */
import { rm } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  /** postgres://postgres@host:port/postgres */
  url: string;
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;

/** One client connection: the LISTENs it made, its socket, and its messages not yet sent to the backend. */
interface Client {
  channels: Set<string>;
  socket: Socket;
  upstream: Socket;
  pending: Buffer[];
  /** A batch was sent and its ReadyForQuery has not come back yet. */
  awaitingReady: boolean;
}

/** Who holds the single PGlite session, and who waits for it, in order. */
class SessionLock {
  private holder: Client | undefined;
  private readonly waiting: Client[] = [];

  /** Whether `client` may send now; if not, it is queued and `wake` runs when its turn comes. */
  acquire(client: Client): boolean {
    if (this.holder === undefined || this.holder === client) {
      this.holder = client;
      return true;
    }
    if (!this.waiting.includes(client)) this.waiting.push(client);
    return false;
  }

  /** Lets the next waiting client go (it is handed the session and pumped). */
  release(client: Client, wake: (next: Client) => void): void {
    const queued = this.waiting.indexOf(client);
    if (queued >= 0) this.waiting.splice(queued, 1);
    if (this.holder !== client) return;
    this.holder = this.waiting.shift();
    if (this.holder) wake(this.holder);
  }
}

/** Starts the wire-protocol server for `db` on host:port (port 0 picks a free one). */
export async function startEmbeddedPostgres(db: PGlite, host: string, port: number): Promise<EmbeddedPostgres> {
  const backendPath = join(tmpdir(), `kiln-pglite-${process.pid}-${Date.now()}.sock`);
  const backend = new PGLiteSocketServer({ db, path: backendPath, maxConnections: 100 });
  await backend.start();
  const clients = new Set<Client>();
  const lock = new SessionLock();

  /** Sends the client's next whole batch if it holds (or can take) the session and is not waiting for one. */
  const pump = (client: Client) => {
    while (!client.awaitingReady && client.pending.length > 0) {
      const end = client.pending.findIndex(endsBatch);
      if (end < 0) return;
      if (!lock.acquire(client)) return;
      const batch = client.pending.splice(0, end + 1);
      const last = batch[batch.length - 1];
      client.awaitingReady = last[0] === 0x53 || last[0] === 0x51 || isStartup(last);
      client.upstream.write(Buffer.concat(batch.map((m) => (isStartup(m) ? m.subarray(1) : m))));
      if (last[0] === 0x58) lock.release(client, pump); // Terminate
    }
  };

  const proxy = createServer((socket) => {
    socket.setNoDelay(true);
    const upstream = createConnection(backendPath);
    const client: Client = { channels: new Set(), socket, upstream, pending: [], awaitingReady: false };
    clients.add(client);
    const deliver = (channel: string, message: Buffer) => {
      for (const c of clients) if (c.channels.has(channel) && c.socket.writable) c.socket.write(message);
    };
    const ready = (idle: boolean) => {
      client.awaitingReady = false;
      if (idle) lock.release(client, pump);
      pump(client);
    };
    socket.on(
      "data",
      frontendReader(client, (message) => {
        client.pending.push(message);
        pump(client);
      }),
    );
    upstream.on("data", backendReader(socket, deliver, ready));
    const close = () => {
      clients.delete(client);
      lock.release(client, pump);
      socket.destroy();
      upstream.destroy();
    };
    socket.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  const address = await listen(proxy, host, port);
  return {
    url: `postgres://postgres@${host}:${address}/postgres`,
    stop: async () => {
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await backend.stop();
      await rm(backendPath, { force: true });
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} on ${host} (the embedded database's) is already in use: stop what runs there`)
          : error,
      ),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Untyped startup-phase messages (StartupMessage, SSLRequest) are marked with a leading 0 byte here. */
function isStartup(message: Buffer): boolean {
  return message[0] === 0;
}

/** Sync, Query, Flush, Terminate and startup messages end a batch; an SSLRequest is answered with one byte. */
function endsBatch(message: Buffer): boolean {
  return [0x53, 0x51, 0x48, 0x58].includes(message[0]) || isStartup(message);
}

/**
 * Splits the client's bytes into whole messages (startup-phase ones prefixed with a 0 byte, stripped again
 * before sending), noting LISTEN/UNLISTEN in simple (Q) and extended (P) queries.
 */
function frontendReader(client: Client, emit: (message: Buffer) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  let startup = true;
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (startup) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const ssl = buffer.readInt32BE(4) === SSL_REQUEST;
        if (ssl) client.upstream.write(buffer.subarray(0, length));
        else emit(Buffer.concat([Buffer.from([0]), buffer.subarray(0, length)]));
        startup = ssl;
        buffer = buffer.subarray(length);
        continue;
      }
      if (buffer.length < 5) return;
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const message = Buffer.from(buffer.subarray(0, 1 + length));
      const type = String.fromCharCode(message[0]);
      if (type === "Q" || type === "P") noteListens(client, message.subarray(5).toString("utf8"));
      emit(message);
      buffer = buffer.subarray(1 + length);
    }
  };
}

function noteListens(client: Client, text: string): void {
  for (const m of text.matchAll(/\b(unlisten|listen)\s+(?:"((?:[^"]|"")+)"|([\w$.:*-]+))/gi)) {
    const channel = m[2]?.replaceAll('""', '"') ?? m[3];
    if (m[1].toLowerCase() === "listen") client.channels.add(channel);
    else if (channel === "*") client.channels.clear();
    else client.channels.delete(channel);
  }
}

/**
 * Passes backend messages to the client whole, except NotificationResponses, which go to every client
 * listening on their channel. Before the first typed message the backend may answer an SSLRequest with 'N'.
 */
function backendReader(
  socket: Socket,
  deliver: (channel: string, message: Buffer) => void,
  ready: (idle: boolean) => void,
): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    let start = 0;
    let offset = 0;
    const flush = (end: number) => {
      if (end > start && socket.writable) socket.write(buffer.subarray(start, end));
    };
    while (buffer.length - offset >= 1) {
      if (buffer[offset] === 0x4e && buffer.length - offset === 1) {
        offset += 1; // 'N': no SSL
        continue;
      }
      if (buffer.length - offset < 5) break;
      const length = buffer.readInt32BE(offset + 1);
      if (buffer.length - offset < 1 + length) break;
      if (buffer[offset] === 0x41) {
        flush(offset);
        const body = buffer.subarray(offset + 5, offset + 1 + length);
        const channelEnd = body.indexOf(0, 4);
        deliver(
          body.subarray(4, channelEnd).toString("utf8"),
          Buffer.from(buffer.subarray(offset, offset + 1 + length)),
        );
        start = offset + 1 + length;
      }
      // ReadyForQuery: the batch is done; its status byte says whether the session is idle ('I').
      const readyStatus = buffer[offset] === 0x5a ? buffer[offset + 5] : undefined;
      offset += 1 + length;
      if (readyStatus !== undefined) {
        flush(offset);
        start = offset;
        ready(readyStatus === 0x49);
      }
    }
    flush(offset);
    buffer = buffer.subarray(offset);
  };
}
