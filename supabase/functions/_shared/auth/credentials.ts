/**
 * The shape of Kiln's bearer credentials, API keys (`kiln_sk_…`) and worker tokens (`kiln_wk_…`): a kind prefix,
 * 12 characters of public prefix by which the row is found, 40 of secret. Only the SHA-256 of the whole credential
 * is stored, and compared in constant time; the credential itself is shown once, when it is made.
 */
import { sha256Hex } from "../../../../shared/sha256_hex.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BODY_LENGTH = 52;

/** A new credential of the kind `kindPrefix`, its public prefix and its stored hash. */
export function newCredential(kindPrefix: string): { secret: string; prefix: string; hash: string } {
  // Rejection sampling: only bytes below 248 (4 × 62) are used, so every character is equally likely.
  const chars: string[] = [];
  while (chars.length < BODY_LENGTH) {
    for (const b of crypto.getRandomValues(new Uint8Array(64))) {
      if (b < 248 && chars.length < BODY_LENGTH) chars.push(ALPHABET[b % 62]);
    }
  }
  const secret = kindPrefix + chars.join("");
  return { secret, prefix: credentialPrefix(kindPrefix, secret), hash: sha256Hex(secret) };
}

/** The public prefix of `credential` (the kind prefix and 12 characters), by which its row is found. */
export function credentialPrefix(kindPrefix: string, credential: string): string {
  return credential.slice(0, kindPrefix.length + 12);
}

/** Compares two equal-length hex strings (digests) without an early exit. */
export function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
