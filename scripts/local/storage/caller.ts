/**
 * Who is calling, from the Authorization header as Storage's jwt plugin reads it: a JWT signed with the project
 * secret is required (the apikey header alone is not enough); its `role` decides. `service_role` bypasses RLS.
 * Anyone else meets storage.objects' RLS, where Kiln has no policy: reads find nothing and writes are refused.
 */
import type { JwtKeys } from "../jwt_keys.ts";
import { accessDenied, invalidJwt, type StorageError } from "./errors.ts";

export interface Caller {
  role: string;
  /** `sub` of a signed-in user; becomes `storage.objects.owner`. */
  userId?: string;
}

/** Verifies `token` and returns its claims, turning jose's errors into the messages jsonwebtoken gives. */
export async function verifyToken(
  keys: JwtKeys,
  token: string,
  refuse: (message: string) => StorageError = invalidJwt,
): Promise<Record<string, unknown>> {
  if (!token) throw refuse("jwt must be provided");
  try {
    return await keys.verify(token);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") throw refuse("jwt expired");
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") throw refuse("invalid signature");
    throw refuse("jwt malformed");
  }
}

/** The caller behind `authorization` (`Bearer <jwt>`), or AccessDenied (403) without a valid JWT. */
export async function callerOf(keys: JwtKeys, authorization: string | undefined): Promise<Caller> {
  const token = (authorization ?? "").replace(/^Bearer\s+/i, "");
  const claims = await verifyToken(keys, token, accessDenied);
  const role = typeof claims.role === "string" ? claims.role : "anon";
  return { role, userId: typeof claims.sub === "string" ? claims.sub : undefined };
}

/** Whether the caller bypasses RLS on storage. */
export function isServiceRole(caller: Caller): boolean {
  return caller.role === "service_role";
}
