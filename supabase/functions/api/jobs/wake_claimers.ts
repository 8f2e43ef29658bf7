/**
 * After a create has committed: NOTIFY `kiln_queue` with the job's type, for long-polling claims. The API creates
 * with `p_notify => false`, since a NOTIFY inside the create would hold Postgres's database-wide NOTIFY lock
 * through the commit's WAL flush and make every create wait for the one before it (migration
 * 20261123001900_queue_snapshot.sql). Sent without waiting (under the Edge Runtime, through waitUntil, so the isolate
 * lives until it is sent); if it fails, waiting claims still find the job at their next backstop poll (1 s), and
 * Realtime subscribers were told inside the create.
 *
 * Wake-ups for one type coalesce: while its NOTIFY is in flight, further creates of that type ask for one more,
 * sent when it returns. Every create is still followed by a NOTIFY sent after its commit, and a burst of creates
 * costs Postgres two statements instead of one each.
 */
import type postgres from "postgres";
import { QUEUE_CHANNEL } from "../../../../shared/channels.ts";
import type { LogLine } from "../../_shared/http/request_context.ts";
import { waitUntil } from "../../_shared/wait_until.ts";

/** Wakes the claimers of a job type; never throws. */
export type WakeClaimers = (type: string) => void;

export function claimerWaker(sql: postgres.Sql, log: LogLine): WakeClaimers {
  /** Types with a NOTIFY in flight, and whether another create asked for one since it was sent. */
  const inFlight = new Map<string, boolean>();
  const wake = (type: string): void => {
    if (inFlight.has(type)) {
      inFlight.set(type, true);
      return;
    }
    inFlight.set(type, false);
    const sent = sql
      .notify(QUEUE_CHANNEL, type)
      .catch((error: unknown) => {
        log({ level: "warn", msg: "queue wake-up failed", error: String(error).slice(0, 200) });
      })
      .finally(() => {
        const again = inFlight.get(type);
        inFlight.delete(type);
        if (again) wake(type);
      });
    waitUntil(sent);
  };
  return wake;
}
