/**
 * Who is joined to what: every joined channel of every socket, indexed by topic and privacy, and the fan-out
 * of a broadcast to them. Private and public channels of the same name are separate rooms, as on Supabase.
 */
import { type Broadcast, encodeBroadcast, type Vsn } from "./protocol.ts";

/** One channel a socket has joined. */
export interface Subscription {
  /** The topic without the `realtime:` prefix. */
  topic: string;
  private: boolean;
  /** Deliver this socket's own broadcasts back to it (`config.broadcast.self`). */
  self: boolean;
  vsn: Vsn;
  /** Writes an encoded frame to the socket. */
  send(data: string | Buffer): void;
}

/** The joined channels of all sockets. */
export class TopicRegistry {
  readonly #rooms = new Map<string, Set<Subscription>>();

  add(sub: Subscription): void {
    const key = roomKey(sub.topic, sub.private);
    let room = this.#rooms.get(key);
    if (!room) {
      room = new Set();
      this.#rooms.set(key, room);
    }
    room.add(sub);
  }

  remove(sub: Subscription): void {
    const key = roomKey(sub.topic, sub.private);
    const room = this.#rooms.get(key);
    if (!room) return;
    room.delete(sub);
    if (room.size === 0) this.#rooms.delete(key);
  }

  /**
   * Sends `broadcast` to every channel joined to `topic` with the same privacy, except `from` (the sender)
   * unless it asked for its own messages. Each vsn's frame is encoded once.
   */
  fanOut(topic: string, isPrivate: boolean, broadcast: Broadcast, from?: Subscription): number {
    const room = this.#rooms.get(roomKey(topic, isPrivate));
    if (!room) return 0;
    const encoded = new Map<Vsn, string | Buffer | undefined>();
    let delivered = 0;
    for (const sub of room) {
      if (sub === from && !sub.self) continue;
      if (!encoded.has(sub.vsn)) encoded.set(sub.vsn, encodeBroadcast(`realtime:${topic}`, broadcast, sub.vsn));
      const data = encoded.get(sub.vsn);
      if (data === undefined) continue;
      sub.send(data);
      delivered++;
    }
    return delivered;
  }
}

function roomKey(topic: string, isPrivate: boolean): string {
  return `${isPrivate ? "private" : "public"}:${topic}`;
}
