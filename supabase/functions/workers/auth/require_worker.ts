/**
 * Worker authentication: `Authorization: Bearer kiln_wk_…`, the token an administrator created with
 * POST /v1/admin/workers. Its row is found by the token's public prefix and the SHA-256 of the whole token is
 * compared in constant time, as for API keys. Every refusal is 401 worker_unauthorized with a message saying
 * what is wrong: no token, not a worker token (a user's API key or JWT), unknown, or revoked. The GPU box thus
 * never needs the service-role key, and a revoked token stops working on its next call.
 */
import type { MiddlewareHandler } from "hono";
import type postgres from "postgres";
import { sha256Hex } from "../../../../shared/sha256_hex.ts";
import { timingSafeEqualHex } from "../../_shared/auth/credentials.ts";
import { WORKER_TOKEN_PREFIX, workerTokenPrefix } from "../../_shared/auth/worker_tokens.ts";
import { fail } from "../../_shared/http/errors.ts";
import type { WorkerPrincipal, WorkersEnv } from "../http/workers_types.ts";

interface WorkerRow {
  id: string;
  name: string;
  token_hash: string;
  job_types: string[];
  registered_at: Date | null;
  draining: boolean;
  revoked_at: Date | null;
}

/** The worker whose token `authorization` carries, or a 401 saying why not. */
export async function authenticateWorker(
  sql: postgres.Sql,
  authorization: string | undefined,
): Promise<WorkerPrincipal> {
  const token = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (!token) fail("worker_unauthorized", "Send the worker's token: Authorization: Bearer kiln_wk_…");
  if (!token.startsWith(WORKER_TOKEN_PREFIX)) {
    fail(
      "worker_unauthorized",
      "That is not a worker token (kiln_wk_…); API keys and access tokens cannot claim jobs.",
    );
  }
  const [row] = await sql<WorkerRow[]>`
    select id, name, token_hash, job_types, registered_at, draining, revoked_at
      from public.workers where token_prefix = ${workerTokenPrefix(token)}`;
  if (!row || !timingSafeEqualHex(row.token_hash, sha256Hex(token)))
    fail("worker_unauthorized", "Unknown worker token.");
  if (row.revoked_at) failRevoked();
  return {
    id: row.id,
    name: row.name,
    jobTypes: row.job_types,
    registered: row.registered_at !== null,
    draining: row.draining,
  };
}

/** Refuses a worker whose token was revoked (also when that happens during its request). */
export function failRevoked(): never {
  fail("worker_unauthorized", "This worker's token was revoked; ask an administrator for a new one.");
}

/** Requires a worker's token; sets `worker` for the handler. */
export function requireWorker(sql: postgres.Sql): MiddlewareHandler<WorkersEnv> {
  return async (c, next) => {
    c.set("worker", await authenticateWorker(sql, c.req.header("authorization")));
    await next();
  };
}
