/**
 * Serves an embedded PGlite over the PostgreSQL wire protocol, so the local stack reaches it with the same
 * `postgres` client and SUPABASE_DB_URL that Edge Functions use against a real project.
 *
 * PGlite is one database session shared by every connection (pglite-socket multiplexes them and keeps a
 * transaction on its connection). That session delivers a NOTIFY only on the connection whose query committed
 * it, so a proxy in front of pglite-socket re-routes notifications: it watches which connections LISTEN on
 * which channels and hands each NotificationResponse to exactly those connections, as a server would.
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

/** One client connection: the LISTENs it made, and a writer for whole backend messages. */
interface Client {
  channels: Set<string>;
  socket: Socket;
}

/** Starts the wire-protocol server for `db` on host:port (port 0 picks a free one). */
export async function startEmbeddedPostgres(db: PGlite, host: string, port: number): Promise<EmbeddedPostgres> {
  const backendPath = join(tmpdir(), `kiln-pglite-${process.pid}-${Date.now()}.sock`);
  const backend = new PGLiteSocketServer({ db, path: backendPath, maxConnections: 100 });
  await backend.start();
  const clients = new Set<Client>();

  const proxy = createServer((socket) => {
    socket.setNoDelay(true);
    const client: Client = { channels: new Set(), socket };
    clients.add(client);
    const upstream = createConnection(backendPath);
    const deliver = (channel: string, message: Buffer) => {
      for (const c of clients) if (c.channels.has(channel) && c.socket.writable) c.socket.write(message);
    };
    socket.on(
      "data",
      frontendReader(client, (chunk) => upstream.write(chunk)),
    );
    upstream.on("data", backendReader(socket, deliver));
    const close = () => {
      clients.delete(client);
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

/** Passes client bytes through, noting LISTEN/UNLISTEN in simple (Q) and extended (P) queries. */
function frontendReader(client: Client, forward: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  let startup = true;
  return (chunk) => {
    forward(chunk);
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (startup) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        startup = buffer.readInt32BE(4) === SSL_REQUEST;
        buffer = buffer.subarray(length);
        continue;
      }
      if (buffer.length < 5) return;
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const type = String.fromCharCode(buffer[0]);
      if (type === "Q" || type === "P") noteListens(client, buffer.subarray(5, 1 + length).toString("utf8"));
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
function backendReader(socket: Socket, deliver: (channel: string, message: Buffer) => void): (chunk: Buffer) => void {
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
      offset += 1 + length;
    }
    flush(offset);
    buffer = buffer.subarray(offset);
  };
}
