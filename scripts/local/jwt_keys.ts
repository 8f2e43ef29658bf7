/**
 * The local stack's signing keys, like `supabase start`'s: HS256 with a shared secret, an anon key and a
 * service-role key that are long-lived JWTs, and access tokens for signed-in users.
 */
import { type JWTPayload, jwtVerify, SignJWT } from "jose";

/** The secret `supabase start` uses; anyone can read it, which is fine for a local stack only. */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

export interface JwtKeys {
  /** `<public url>/auth/v1`: the `iss` of access tokens. */
  issuer: string;
  secret: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Signs `claims` (HS256) valid for `expiresInSeconds`. */
  sign(claims: JWTPayload, expiresInSeconds: number): Promise<string>;
  /** Verifies signature and expiry; throws on anything else. */
  verify(token: string): Promise<JWTPayload>;
}

export async function createJwtKeys(publicUrl: string, secret = LOCAL_JWT_SECRET): Promise<JwtKeys> {
  const key = new TextEncoder().encode(secret);
  // The same claims as supabase start's keys (iss supabase-demo, fixed expiry in 2032).
  const apiKey = (role: string) =>
    new SignJWT({ iss: "supabase-demo", role, exp: 1983812996 })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(key);
  return {
    issuer: `${publicUrl}/auth/v1`,
    secret,
    anonKey: await apiKey("anon"),
    serviceRoleKey: await apiKey("service_role"),
    sign: (claims, expiresInSeconds) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
        .sign(key),
    verify: async (token) => (await jwtVerify(token, key, { algorithms: ["HS256"] })).payload,
  };
}
