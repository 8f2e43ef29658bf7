/**
 * Supabase access tokens: verified against the project's JWKS (asymmetric signing keys; fetched once, cached,
 * refetched on an unknown `kid`) and, for legacy projects and the local stack, an HS256 secret. Issuer,
 * audience, expiry and algorithm are checked.
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import { fail } from "../../_shared/http/errors.ts";

export interface JwtVerifierOptions {
  /** `<SUPABASE_URL>/auth/v1` */
  issuer: string;
  /** The legacy HS256 secret, when the project (or local stack) signs with one. */
  secret?: string;
  /**
   * How long after a JWKS fetch an unknown `kid` may not trigger another (default 30 s): bounds what tokens
   * with made-up key ids can cost, while a rotated-in key is picked up within this time.
   */
  jwksCooldownMs?: number;
}

/**
 * Which tokens the API accepts, for the start-up log line (never the secret): the project's signing keys always
 * (asymmetric tokens are checked against the JWKS URL); HS256 tokens only with KILN_JWT_SECRET. `signingKeys` says
 * whether the platform's SUPABASE_JWKS lists any key (unknown when it is not given).
 */
export function jwtMode(env: {
  KILN_JWT_SECRET?: string;
  SUPABASE_JWT_SECRET?: string;
  SUPABASE_JWKS?: string;
}): Record<string, unknown> {
  const mode: Record<string, unknown> = {
    jwt: env.KILN_JWT_SECRET ? "signing keys (JWKS) and legacy HS256 (KILN_JWT_SECRET)" : "signing keys (JWKS) only",
    signing_keys: env.SUPABASE_JWKS === undefined ? "unknown" : countKeys(env.SUPABASE_JWKS),
  };
  if (env.SUPABASE_JWT_SECRET && !env.KILN_JWT_SECRET)
    mode.warning = "SUPABASE_JWT_SECRET is not read: set the legacy secret as KILN_JWT_SECRET to accept HS256 tokens";
  return mode;
}

function countKeys(jwks: string): number | "unreadable" {
  try {
    const keys = (JSON.parse(jwks) as { keys?: unknown }).keys;
    return Array.isArray(keys) ? keys.length : "unreadable";
  } catch {
    return "unreadable";
  }
}

/** A verifier built once per isolate: the JWKS cache lives as long as it does. */
export function jwtVerifier(options: JwtVerifierOptions): (token: string) => Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/.well-known/jwks.json`), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
  });
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const claims = { issuer: options.issuer, audience: "authenticated", requiredClaims: ["exp", "sub"] };
  return async (token) => {
    try {
      const alg = decodeAlg(token);
      const { payload } =
        alg === "HS256"
          ? secret
            ? await jwtVerify(token, secret, { ...claims, algorithms: ["HS256"] })
            : fail("invalid_token", "This project does not accept HS256 tokens.")
          : await jwtVerify(token, jwks, { ...claims, algorithms: ["ES256", "RS256", "EdDSA"] });
      if (typeof payload.sub !== "string") fail("invalid_token", "The access token names no user (sub).");
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) fail("token_expired");
      if (error instanceof errors.JOSEError)
        fail("invalid_token", `The access token is not valid (${error.code}): ${error.message}.`);
      throw error;
    }
  };
}

function decodeAlg(token: string): string {
  const [header] = token.split(".");
  try {
    const alg = JSON.parse(atob(header.replace(/-/g, "+").replace(/_/g, "/"))).alg;
    if (typeof alg === "string") return alg;
  } catch {
    // fall through
  }
  return fail("invalid_token", "The access token is not a JWT.");
}
