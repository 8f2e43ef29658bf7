/** The peer address of a request that came through the gateway's node server (IPv4-mapped IPv6 as plain IPv4). */
import type { Context } from "hono";

export function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress?.replace(/^::ffff:(?=\d+\.)/, "");
}
