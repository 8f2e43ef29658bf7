/**
 * What the lifecycle suites share: a migrated database of their own (retry backoff set to zero, so retries are
 * claimable at once unless a test sets it), a `call` for one kiln.* function, and `refused` for its refusals.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { Database } from "../../../scripts/db/database.ts";
import { createTestDatabase, type TestDatabase } from "../../../scripts/testing/test_database.ts";
import { fromDatabaseError, KilnError } from "../../../shared/errors.ts";
import { type JobSummary, setSetting } from "./fixtures.ts";

export interface LifecycleDatabase {
  /** The database, once the `before` hook has run. */
  readonly db: Database;
  /** The database's URL on a PostgreSQL server (for more connections); undefined on PGlite. */
  readonly url: string | undefined;
  /** `select <expression> as r` with parameters; returns r (a job summary unless said otherwise). */
  call<T = JobSummary>(expression: string, params: unknown[]): Promise<T>;
  /** The job's row as stored. */
  job(id: string): Promise<JobSummary & { lease_expires_at: Date | null; run_after: Date }>;
}

/** Registers the file's before/after hooks and returns the handle the tests use. */
export function useLifecycleDatabase(): LifecycleDatabase {
  let t: TestDatabase | undefined;
  before(async () => {
    t = await createTestDatabase();
    await setSetting(t.db, "retry_backoff", { base_seconds: 0, max_seconds: 0 });
  });
  after(() => t?.drop());
  const handle: LifecycleDatabase = {
    get db() {
      if (!t) throw new Error("the database is ready only inside tests");
      return t.db;
    },
    get url() {
      return t?.url;
    },
    async call<T = JobSummary>(expression: string, params: unknown[]): Promise<T> {
      const [row] = await handle.db.query<{ r: T }>(`select ${expression} as r`, params);
      return row.r;
    },
    async job(id) {
      const [row] = await handle.db.query<JobSummary & { lease_expires_at: Date | null; run_after: Date }>(
        "select * from public.jobs where id = $1",
        [id],
      );
      return row;
    },
  };
  return handle;
}

/** Asserts that `promise` is refused with the Kiln error `code`, and returns the error. */
export async function refused(promise: Promise<unknown>, code: string): Promise<KilnError> {
  try {
    await promise;
  } catch (error) {
    const mapped = fromDatabaseError(error);
    assert.ok(mapped instanceof KilnError, `expected a Kiln error ${code}, got ${String(error)}`);
    assert.equal(mapped.code, code);
    return mapped;
  }
  assert.fail(`expected a refusal with ${code}`);
}
