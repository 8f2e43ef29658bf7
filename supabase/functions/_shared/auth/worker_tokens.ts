/**
 * Worker tokens: `kiln_wk_…` credentials (see credentials.ts), made by the api when an administrator creates a
 * worker, checked by the workers function on every call.
 */
import { credentialPrefix, newCredential } from "./credentials.ts";

export const WORKER_TOKEN_PREFIX = "kiln_wk_";

/** A new worker token (shown once) and what is stored of it. */
export function newWorkerToken(): { token: string; prefix: string; hash: string } {
  const { secret, prefix, hash } = newCredential(WORKER_TOKEN_PREFIX);
  return { token: secret, prefix, hash };
}

/** The token's public prefix, by which its worker's row is found. */
export function workerTokenPrefix(token: string): string {
  return credentialPrefix(WORKER_TOKEN_PREFIX, token);
}
