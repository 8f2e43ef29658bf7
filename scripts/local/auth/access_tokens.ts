/**
 * Access tokens with the claims Supabase Auth issues, the session response that carries them, and the checks
 * GoTrue makes on a Bearer token before it serves /user or /logout.
 */
import { decodeJwt, errors as joseErrors } from "jose";
import { UUID_PATTERN } from "../../../shared/uuid.ts";
import type { StackContext } from "../stack_context.ts";
import { AuthError, badRequest, forbidden } from "./errors.ts";
import type { SessionGrant } from "./sessions.ts";
import { sessionExists } from "./sessions.ts";
import { findUserById, type UserRow, userJson } from "./users.ts";

/** `[auth] jwt_expiry` of supabase start. */
const ACCESS_TOKEN_SECONDS = 3600;

/** GoTrue's AccessTokenResponse: what signup and every token grant answer. */
export async function sessionResponse(ctx: StackContext, user: UserRow, grant: SessionGrant) {
  const accessToken = await ctx.keys.sign(
    {
      iss: ctx.keys.issuer,
      sub: user.id,
      aud: "authenticated",
      email: user.email ?? "",
      phone: "",
      app_metadata: user.raw_app_meta_data,
      user_metadata: user.raw_user_meta_data,
      role: user.role,
      aal: "aal1",
      amr: [{ method: grant.method, timestamp: Math.floor(grant.signedInAt.getTime() / 1000) }],
      session_id: grant.sessionId,
      is_anonymous: user.is_anonymous,
    },
    ACCESS_TOKEN_SECONDS,
  );
  return {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: ACCESS_TOKEN_SECONDS,
    expires_at: decodeJwt(accessToken).exp,
    refresh_token: grant.refreshToken,
    user: userJson(user),
  };
}

/** The signed-in user a request's Bearer token names, and the session it belongs to (if it names one). */
export interface Caller {
  user: UserRow;
  sessionId?: string;
}

/** GoTrue's golang-jwt wording for why a token was refused, which it puts in its bad_jwt message. */
function jwtProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "token has invalid claims: token is expired";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return "token signature is invalid: signature is invalid";
  }
  return "token is malformed: could not parse the token";
}

/**
 * GoTrue's requireAuthentication: a Bearer token (else 401 no_authorization) with a valid signature and
 * expiry (else 403 bad_jwt) naming an existing user (else 403 user_not_found) and, when it has a session_id,
 * a session that still exists (else 403 session_not_found: the session was logged out).
 */
export async function authenticate(ctx: StackContext, authorization: string | undefined): Promise<Caller> {
  const bearer = /^bearer (\S+)$/i.exec(authorization ?? "")?.[1];
  if (!bearer) throw new AuthError(401, "no_authorization", "This endpoint requires a Bearer token");
  let claims: Record<string, unknown>;
  try {
    claims = await ctx.keys.verify(bearer);
  } catch (error) {
    throw forbidden("bad_jwt", `invalid JWT: unable to parse or verify signature, ${jwtProblem(error)}`);
  }
  const sub = claims.sub;
  if (typeof sub !== "string" || sub === "") throw forbidden("bad_jwt", "invalid claim: missing sub claim");
  if (!UUID_PATTERN.test(sub)) throw badRequest("bad_jwt", "invalid claim: sub claim must be a UUID");
  const user = await findUserById(ctx.sql, sub);
  if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
  const sessionId = typeof claims.session_id === "string" && claims.session_id !== "" ? claims.session_id : undefined;
  if (sessionId === undefined) return { user };
  if (!UUID_PATTERN.test(sessionId)) throw forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID");
  if (!(await sessionExists(ctx.sql, sessionId))) {
    throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
  }
  return { user, sessionId };
}

/** GoTrue's default admin roles (GOTRUE_JWT_ADMIN_ROLES). */
const ADMIN_ROLES = new Set(["service_role", "supabase_admin"]);

/** GoTrue's requireAdmin: a valid token whose role is an admin role. */
export async function requireAdmin(ctx: StackContext, authorization: string | undefined): Promise<void> {
  const bearer = /^bearer (\S+)$/i.exec(authorization ?? "")?.[1];
  if (!bearer) throw new AuthError(401, "no_authorization", "This endpoint requires a Bearer token");
  let role: unknown;
  try {
    role = (await ctx.keys.verify(bearer)).role;
  } catch {
    throw forbidden("bad_jwt", "Invalid token");
  }
  if (typeof role !== "string" || !ADMIN_ROLES.has(role)) throw forbidden("not_admin", "User not allowed");
}
