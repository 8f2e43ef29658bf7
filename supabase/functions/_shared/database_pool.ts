/**
 * A function isolate's Postgres pool. `prepare: false`, as a transaction pooler (Supavisor on 6543, PgBouncer)
 * requires; at most KILN_DB_POOL_SIZE connections, opened on demand and closed after 30 s idle, so isolates that
 * the platform keeps warm but idle give their connections back.
 */
import postgres from "postgres";
import type { FunctionEnv } from "./function_env.ts";

export function functionPool(config: Pick<FunctionEnv, "SUPABASE_DB_URL" | "KILN_DB_URL" | "KILN_DB_POOL_SIZE">) {
  return postgres(config.KILN_DB_URL ?? config.SUPABASE_DB_URL, {
    prepare: false,
    max: config.KILN_DB_POOL_SIZE,
    idle_timeout: 30,
    onnotice: () => {},
  });
}
