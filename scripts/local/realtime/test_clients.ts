/**
 * What the Realtime tests and the bench share: users made in the database with their access tokens, realtime-js
 * clients on Node 20 (the `ws` transport), a subscribe that can be awaited, and an inbox that waits for a message.
 */
import { type RealtimeChannel, RealtimeClient, type WebSocketLikeConstructor } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import postgres from "postgres";
import WebSocket from "ws";
import { LOCAL_JWT_SECRET } from "../jwt_keys.ts";

/** A signed-in user as the tests need one: id and access token. */
export interface TestUser {
  id: string;
  token: string;
}

/**
 * Inserts users into auth.users (the signup trigger makes their profiles), grants them credits and signs an
 * access token for each, valid `expiresInSeconds` (negative: already expired), as the stack's auth would.
 */
export async function createUsers(dbUrl: string, url: string, n: number, expiresInSeconds = 3600): Promise<TestUser[]> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ id: string }[]>`
      insert into auth.users (id, email)
      select u.id, u.id || '@realtime.test' from (select gen_random_uuid() as id from generate_series(1, ${n})) u
      returning id`;
    const ids = rows.map((r) => r.id);
    await sql`select kiln.post_credits(o, 1000000, 'admin_grant') from unnest(${ids}::uuid[]) o`;
    return await Promise.all(ids.map(async (id) => ({ id, token: await signToken(url, id, expiresInSeconds) })));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A token for user `sub` of the stack at `url` (HS256, the local stack's secret), as `role`. */
export function signToken(url: string, sub: string, expiresInSeconds: number, role = "authenticated"): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub, role, aud: "authenticated", iss: `${url}/auth/v1` })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(new TextEncoder().encode(LOCAL_JWT_SECRET));
}

/** The `ws` WebSocket as the transport realtime-js and supabase-js take (Node 20 has no global WebSocket). */
export const webSocketTransport = WebSocket as unknown as WebSocketLikeConstructor;

/** A realtime-js client on `url`'s /realtime/v1 speaking `vsn`; not connected until a channel subscribes. */
export function realtimeClient(url: string, apiKey: string, vsn: "1.0.0" | "2.0.0"): RealtimeClient {
  return new RealtimeClient(`${url.replace(/^http/, "ws")}/realtime/v1`, {
    params: { apikey: apiKey },
    transport: webSocketTransport,
    vsn,
  });
}

/** Subscribes `channel`; resolves on SUBSCRIBED, rejects on an error, a close or `timeoutMs`. */
export function subscribed(channel: RealtimeChannel, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel.topic}: not subscribed in ${timeoutMs} ms`)), timeoutMs);
    channel.subscribe((status, error) => {
      clearTimeout(timer);
      if (status === "SUBSCRIBED") resolve();
      else reject(new Error(`${channel.topic}: ${status}${error ? ` (${error.message})` : ""}`));
    });
  });
}

/** Collects what a callback receives, and waits for the first item that matches. */
export class Inbox<T> {
  readonly items: T[] = [];
  #waiters: Array<() => void> = [];

  /** The callback to hand to `.on(…)`. */
  readonly add = (item: T): void => {
    this.items.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  };

  /** The first item (received before or after the call) for which `match` holds, within `timeoutMs`. */
  async next(match: (item: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.items.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message in ${timeoutMs} ms (got ${this.items.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
