/**
 * The dispatcher's own authentication (the gateway's JWT check is off for it, since pg_net sends no user JWT):
 * `Authorization: Bearer <KILN_DISPATCH_SECRET>`, compared in constant time. Without a configured secret every
 * call is refused, so a forgotten setting cannot leave it open. Refusals are 401s saying what to send.
 */
import type { MiddlewareHandler } from "hono";
import { sha256Hex } from "../../../../shared/sha256_hex.ts";
import { timingSafeEqualHex } from "../../_shared/auth/credentials.ts";
import { fail } from "../../_shared/http/errors.ts";

export function requireDispatchSecret(secret: string | undefined): MiddlewareHandler {
  // Digests, so the comparison takes the same time whatever the length of what was sent.
  const expected = secret ? sha256Hex(secret) : undefined;
  return async (c, next) => {
    if (!expected) {
      fail("missing_credentials", "The dispatcher has no KILN_DISPATCH_SECRET set, so it accepts no call.");
    }
    const given = c.req.header("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!given) fail("missing_credentials", "Send the dispatch secret: Authorization: Bearer <KILN_DISPATCH_SECRET>.");
    if (!timingSafeEqualHex(sha256Hex(given), expected)) fail("invalid_token", "That is not the dispatch secret.");
    await next();
  };
}
