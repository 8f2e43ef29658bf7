/**
 * Hex SHA-256 of a string, synchronously (@noble/hashes, pure JS). WebCrypto's digest is asynchronous: under
 * Node each call is a job on the thread pool, which cost 7% of the API's CPU on GET /v1/jobs/:id (hashing
 * the API key of every request); hashing 60 bytes in JS takes a few microseconds.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
