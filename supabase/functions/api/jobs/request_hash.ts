/**
 * The fingerprint of a create request, for Idempotency-Key: the SHA-256 of its body as canonical JSON (keys
 * sorted at every depth), so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request.
 */
import { sha256Hex } from "../../../../shared/sha256_hex.ts";

/** `value` as JSON with object keys sorted, recursively. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Hex SHA-256 of the canonical JSON of `body`. */
export function requestHash(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}
