/**
 * What the workers function needs, built once per isolate from the same environment as the API:
 * configuration, a Postgres pool (`prepare: false` for the transaction pooler), Storage as the service role
 * (signed URLs for inputs and outputs), and the queue wake-ups that long-polling claims wait on.
 */
import type postgres from "postgres";
import { functionPool } from "../_shared/database_pool.ts";
import { type LogLine, stdoutLog } from "../_shared/http/request_context.ts";
import { type ObjectStorage, supabaseStorage } from "../_shared/storage/object_storage.ts";
import { parseWorkersConfig, type WorkersConfig } from "./config.ts";
import { type QueueWakeups, queueWakeups } from "./queue/claim_long_poll.ts";

export interface WorkersDeps {
  config: WorkersConfig;
  sql: postgres.Sql;
  storage: ObjectStorage;
  wakeups: QueueWakeups;
  log: LogLine;
}

/** Opens what the app needs from `env`; `close()` ends the long polls and releases the rest. */
export function workersDeps(
  env: Record<string, string | undefined>,
  log: LogLine = stdoutLog,
): WorkersDeps & { close(): Promise<void> } {
  const config = parseWorkersConfig(env);
  const sql = functionPool(config);
  const wakeups = queueWakeups(config.SUPABASE_DB_URL, log);
  return {
    config,
    sql,
    storage: supabaseStorage(config),
    wakeups,
    log,
    close: async () => {
      await wakeups.close();
      await sql.end({ timeout: 5 });
    },
  };
}
