/**
 * Wake-ups for long-polling claims. Every transition that makes a job claimable NOTIFYs `kiln_queue` with the
 * job's type (kiln.publish_job_update); one LISTEN per isolate, on a connection of its own opened by the first
 * long poll, serves every waiting claim. A claim retries when a NOTIFY names one of its types, and every second
 * as a backstop (a job that becomes due by its backoff sends no NOTIFY, and a LISTEN can fail: behind a
 * transaction pooler, say, where long polls then simply poll). Push is a hint; the claim is the truth.
 */
import postgres from "postgres";
import { QUEUE_CHANNEL } from "../../../../shared/channels.ts";
import type { LogLine } from "../../_shared/http/request_context.ts";

/** The longest a long poll waits between two claims without a NOTIFY. */
export const BACKSTOP_MS = 1000;

export interface QueueWakeups {
  /**
   * Calls `claim` until it returns something, `waitMs` pass, `signal` aborts or the isolate closes, retrying
   * on each NOTIFY for one of `types` and at least every BACKSTOP_MS. Returns the last claim's answer.
   */
  claimWithin<T>(
    types: readonly string[],
    waitMs: number,
    claim: () => Promise<T[]>,
    signal?: AbortSignal,
  ): Promise<T[]>;
  /** Stops listening and ends every wait at once. */
  close(): Promise<void>;
}

interface Waiter {
  types: ReadonlySet<string>;
  wake: () => void;
}

/** Wake-ups from LISTEN `kiln_queue` on `dbUrl` (connected on first use). */
export function queueWakeups(dbUrl: string, log: LogLine): QueueWakeups {
  const waiters = new Set<Waiter>();
  let listener: postgres.Sql | undefined;
  let listening: Promise<void> | undefined;
  let closed = false;

  const notified = (type: string) => {
    for (const w of waiters) if (type === "" || w.types.has(type)) w.wake();
  };
  // Resolves once the LISTEN is in place (or has failed: then long polls poll), so a claim after it misses no job.
  const listen = () => {
    listening ??= (async () => {
      listener = postgres(dbUrl, { max: 1, onnotice: () => {} });
      await listener.listen(QUEUE_CHANNEL, notified);
    })().catch((error: unknown) => {
      log({
        level: "warn",
        message: `LISTEN ${QUEUE_CHANNEL} failed: long polls poll every second`,
        error: String(error),
      });
    });
    return listening;
  };

  /** Registered before a claim, so a NOTIFY between the claim and the wait still cuts the wait short. */
  const subscribe = (types: ReadonlySet<string>, signal?: AbortSignal) => {
    let woken = false;
    let resolve: (() => void) | undefined;
    const waiter: Waiter = {
      types,
      wake: () => {
        woken = true;
        resolve?.();
      },
    };
    waiters.add(waiter);
    signal?.addEventListener("abort", waiter.wake, { once: true });
    const wait = (ms: number) =>
      new Promise<void>((done) => {
        if (woken || closed) return done();
        const timer = setTimeout(done, ms);
        resolve = () => {
          clearTimeout(timer);
          done();
        };
      });
    const cancel = () => {
      waiters.delete(waiter);
      signal?.removeEventListener("abort", waiter.wake);
    };
    return { wait, cancel };
  };

  return {
    async claimWithin(types, waitMs, claim, signal) {
      const deadline = Date.now() + waitMs;
      const typeSet = new Set(types);
      // The first long poll of an isolate waits for its LISTEN, but not for long: a slow one only costs polls.
      await firstOf(listen(), BACKSTOP_MS);
      for (;;) {
        // A client that went away gets no job: one claimed now would sit out its lease before running.
        if (closed || signal?.aborted) return [];
        const subscription = subscribe(typeSet, signal);
        try {
          const claimed = await claim();
          const left = deadline - Date.now();
          if (claimed.length > 0 || left <= 0) return claimed;
          await subscription.wait(Math.min(BACKSTOP_MS, left));
        } finally {
          subscription.cancel();
        }
      }
    },
    async close() {
      closed = true;
      for (const w of waiters) w.wake();
      await listening;
      await listener?.end({ timeout: 1 });
    },
  };
}

/** Waits for `promise`, or `ms` at most. */
async function firstOf(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}
