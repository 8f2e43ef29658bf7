/**
 * Worker tokens: `kiln_wk_` + 12 characters of public prefix + 40 of secret, like API keys. Only the SHA-256
 * of the whole token is stored; the token itself is shown once, when an administrator creates the worker.
 */
import { sha256Hex } from "../../../../shared/sha256_hex.ts";

export const WORKER_TOKEN_PREFIX = "kiln_wk_";
const PREFIX_LENGTH = WORKER_TOKEN_PREFIX.length + 12;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A new worker token (shown once) and what is stored of it. */
export function newWorkerToken(): { token: string; prefix: string; hash: string } {
  // Rejection sampling: only bytes below 248 (4 × 62) are used, so every character is equally likely.
  const chars: string[] = [];
  while (chars.length < 52) {
    for (const b of crypto.getRandomValues(new Uint8Array(64))) {
      if (b < 248 && chars.length < 52) chars.push(ALPHABET[b % 62]);
    }
  }
  const token = WORKER_TOKEN_PREFIX + chars.join("");
  return { token, prefix: token.slice(0, PREFIX_LENGTH), hash: sha256Hex(token) };
}

/** The token's public prefix, by which its worker's row is found. */
export function workerTokenPrefix(token: string): string {
  return token.slice(0, PREFIX_LENGTH);
}
