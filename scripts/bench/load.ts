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
  /** Units of work done: 1 for each body that returned true, n for each that returned a count n. */
  count: number;
  elapsedMs: number;
}

/**
 * Runs `body` in a loop on every client at once until `durationMs` has passed or the body returns false or 0
 * (nothing left to do); returns how many units were done (true: one, a number: that many) and over how long.
 */
export async function runFor(
  clients: readonly Database[],
  durationMs: number,
  body: (client: Database, index: number) => Promise<boolean | number>,
): Promise<LoadResult> {
  const start = performance.now();
  const deadline = start + durationMs;
  let count = 0;
  await Promise.all(
    clients.map(async (client, index) => {
      while (performance.now() < deadline) {
        const done = await body(client, index);
        if (!done) return;
        count += done === true ? 1 : done;
      }
    }),
  );
  return { count, elapsedMs: performance.now() - start };
}
