/**
 * Who may do what, as Supabase Realtime decides it: a token must be a valid JWT with `role` and `exp`; a private
 * topic is readable when a probe row in realtime.messages is visible under RLS, and writable when a row may be
 * inserted under RLS, each with the caller's claims, role and `realtime.topic` set for one rolled-back
 * transaction (supabase/realtime lib/realtime/tenants/authorization.ex).
 */
import type { JWTPayload } from "jose";
import type postgres from "postgres";
import type { JwtKeys } from "../jwt_keys.ts";

/** Verified claims that carry a role and an expiry. */
export type Claims = JWTPayload & { role: string; exp: number };

/** A token refused, with the reason the real server gives (`<code>: <message>`). */
export class TokenError extends Error {}

/** The roles a token may act as; anything else (say `postgres`) is refused rather than switched to. */
const roles = new Set(["anon", "authenticated", "service_role"]);

/** Verifies `token` and returns its claims; throws TokenError with the real server's wording. */
export async function verifyToken(keys: JwtKeys, token: string): Promise<Claims> {
  let claims: JWTPayload;
  try {
    claims = await keys.verify(token);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") {
      const exp = (error as { payload?: JWTPayload }).payload?.exp ?? 0;
      const ago = Math.max(0, Math.floor(Date.now() / 1000) - exp);
      throw new TokenError(`InvalidJWTToken: Token has expired ${ago} seconds ago`);
    }
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") {
      throw new TokenError("JwtSignatureError: Failed to validate JWT signature");
    }
    throw new TokenError("MalformedJWT: The token provided is not a valid JWT");
  }
  if (typeof claims.role !== "string" || typeof claims.exp !== "number") {
    throw new TokenError("InvalidJWTToken: Fields `role` and `exp` are required in JWT");
  }
  return claims as Claims;
}

/** Thrown inside the probe transaction to roll it back with the answer. */
class Answer {
  readonly allowed: boolean;
  constructor(allowed: boolean) {
    this.allowed = allowed;
  }
}

/**
 * Whether `claims` may read (join) or write (broadcast to) the private `topic`. A role other than anon,
 * authenticated or service_role may do neither; service_role bypasses RLS, as on the platform.
 */
export async function canAccessTopic(
  sql: postgres.Sql,
  topic: string,
  claims: Claims,
  mode: "read" | "write",
): Promise<boolean> {
  if (!roles.has(claims.role)) return false;
  try {
    await sql.begin(async (tx) => {
      let probeId: string | undefined;
      if (mode === "read") {
        const [probe] = await tx<{ id: string }[]>`
          insert into realtime.messages (topic, extension, event, payload, private)
          values (${topic}, 'broadcast', 'probe', '{}', true) returning id`;
        probeId = probe.id;
      }
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                      set_config('realtime.topic', ${topic}, true),
                      set_config('role', ${claims.role}, true)`;
      throw new Answer(probeId ? await probeVisible(tx, probeId) : await insertAllowed(tx, topic));
    });
  } catch (error) {
    if (error instanceof Answer) return error.allowed;
    // A role without the grant (anon has no select on realtime.messages) is a refusal, like an RLS one.
    if ((error as { code?: string }).code === "42501") return false;
    throw error;
  }
  throw new Error("unreachable: the probe transaction always rolls back");
}

async function probeVisible(tx: postgres.TransactionSql, id: string): Promise<boolean> {
  const rows = await tx`select 1 from realtime.messages where id = ${id} and extension = 'broadcast'`;
  return rows.length === 1;
}

async function insertAllowed(tx: postgres.TransactionSql, topic: string): Promise<boolean> {
  try {
    await tx.savepoint(
      (sp) => sp`
      insert into realtime.messages (topic, extension, event, payload, private)
      values (${topic}, 'broadcast', 'probe', '{}', true)`,
    );
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "42501") return false;
    throw error;
  }
}
