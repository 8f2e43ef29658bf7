/** Connections and time-bounded loops for the timed parts of the bench. */
import { performance } from "node:perf_hooks";
import { type Database, openPostgres } from "../db/database.ts";

/** `n` single-connection clients, each already connected, so connecting is not timed. */
export async function openClients(url: string, n: number): Promise<Database[]> {
  const clients = Array.from({ length: n }, () => openPostgres(url, { max: 1 }));
  await Promise.all(clients.map((c) => c.query("select 1")));
  return clients;
}

/** Closes every client. */
export async function closeAll(clients: readonly Database[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
}

export interface LoadResult {
  /** Bodies that returned true (did a unit of work). */
  count: number;
  elapsedMs: number;
}

/**
 * Runs `body` in a loop on every client at once until `durationMs` has passed or the body returns false
 * (nothing left to do); returns how many units were done and over how long.
 */
export async function runFor(
  clients: readonly Database[],
  durationMs: number,
  body: (client: Database, index: number) => Promise<boolean>,
): Promise<LoadResult> {
  const start = performance.now();
  const deadline = start + durationMs;
  let count = 0;
  await Promise.all(
    clients.map(async (client, index) => {
      while (performance.now() < deadline && (await body(client, index))) count++;
    }),
  );
  return { count, elapsedMs: performance.now() - start };
}
