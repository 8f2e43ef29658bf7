/**
 * Broadcast from Database: realtime.send NOTIFYs `realtime:broadcast` with `{id, topic, event, private, payload}`
 * (or just `{id}` when that is too big for a NOTIFY; the row is then read from realtime.messages), and the relay
 * fans each one out to the channels joined to its topic with the same privacy. Messages go out in NOTIFY order.
 *
 * The LISTEN has a connection of its own, closed on stop: on the embedded PGlite, a connection that UNLISTENs
 * and LISTENs again gets no more notifications, so a pool's shared listen connection would go deaf after the
 * gateway restarts. A fresh connection per relay works on both databases.
 */
import postgres from "postgres";
import type { TopicRegistry } from "./channels.ts";
import { jsonBroadcast } from "./protocol.ts";

interface Note {
  id: string;
  topic?: string;
  event?: string;
  private?: boolean;
  payload?: unknown;
}

export interface Relay {
  stop(): Promise<void>;
}

/**
 * LISTENs on `realtime:broadcast` with a new connection to `dbUrl` and relays to `registry` until stopped; `sql`
 * reads the messages too big for a NOTIFY.
 */
export async function startRelay(dbUrl: string, sql: postgres.Sql, registry: TopicRegistry): Promise<Relay> {
  const listener = postgres(dbUrl, { max: 1, onnotice: () => {} });
  let tail = Promise.resolve();
  const relay = async (raw: string) => {
    let note: Note = JSON.parse(raw);
    if (note.topic === undefined) {
      const [row] = await sql<Note[]>`
        select id, topic, event, private, payload from realtime.messages where id = ${note.id}`;
      if (!row) return;
      note = row;
    }
    registry.fanOut(note.topic ?? "", note.private ?? true, jsonBroadcast(note.event ?? "", note.payload, note.id));
  };
  try {
    await listener.listen("realtime:broadcast", (raw) => {
      tail = tail.then(() => relay(raw)).catch((error: unknown) => console.error("realtime relay:", error));
    });
  } catch (error) {
    await listener.end({ timeout: 1 });
    throw error;
  }
  return {
    stop: async () => {
      await listener.end({ timeout: 5 });
      await tail;
    },
  };
}
