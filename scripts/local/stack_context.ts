/** What every part of the local stack is given. */
import type postgres from "postgres";
import type { Mailbox } from "./auth/mailbox.ts";
import type { JwtKeys } from "./jwt_keys.ts";

export interface StackContext {
  /** A pool on the database as its owner (`postgres`), like the platform's own services. */
  sql: postgres.Sql;
  /** The database URL functions get as SUPABASE_DB_URL. */
  dbUrl: string;
  /** `http://127.0.0.1:54321`: what clients use as SUPABASE_URL. */
  publicUrl: string;
  keys: JwtKeys;
  /** The data folder; Storage keeps files under `<dataDir>/storage`. */
  dataDir: string;
  /** The mail catcher Auth sends its mails to. */
  mailbox: Mailbox;
}
