/**
 * After a create has committed: NOTIFY `kiln_queue` with the job's type, for long-polling claims. The API creates
 * with `p_notify => false`, since a NOTIFY inside the create would hold Postgres's database-wide NOTIFY lock
 * through the commit's WAL flush and make every create wait for the one before it (migration
 * 20261123001900_queue_snapshot.sql). Sent without waiting; if it fails, waiting claims still find the job at
 * their next backstop poll (1 s), and Realtime subscribers were told inside the create.
 */
import type postgres from "postgres";
import { QUEUE_CHANNEL } from "../../../../shared/queue_channel.ts";
import type { LogLine } from "../http/request_context.ts";

export function wakeClaimers(sql: postgres.Sql, type: string, log: LogLine): void {
  sql.notify(QUEUE_CHANNEL, type).catch((error: unknown) => {
    log({ level: "warn", msg: "queue wake-up failed", error: String(error).slice(0, 200) });
  });
}
