/**
 * Sessions and their rotating refresh tokens, with GoTrue's rules (internal/tokens/service.go,
 * RefreshTokenGrant): each refresh revokes the token it used and issues a child; a revoked token still works
 * when it is the parent of the session's active token (the client lost the last answer: it gets that active
 * token again) or within the reuse interval of its revocation; past that it is reuse, which revokes every
 * token of the session. Logging out deletes sessions, and their tokens with them.
 */
import type postgres from "postgres";
import { AuthError, badRequest } from "./errors.ts";

/** A session as access tokens describe it, and the refresh token to hand out with them. */
export interface SessionGrant {
  userId: string;
  sessionId: string;
  /** When the user signed in: the `amr` timestamp of every access token of the session. */
  signedInAt: Date;
  /** How the user signed in (the `amr` method): `password`, or `otp` for a verified email link or code. */
  method: SignInMethod;
  refreshToken: string;
}

export type SignInMethod = "password" | "otp";

export type LogoutScope = "global" | "local" | "others";

/** A new opaque refresh token: 128 random bits, hex. */
function newRefreshToken(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Starts a session for a user who just signed in, with its first refresh token and, in auth.mfa_amr_claims,
 * how the user signed in.
 */
export async function startSession(sql: postgres.Sql, userId: string, method: SignInMethod): Promise<SessionGrant> {
  const refreshToken = newRefreshToken();
  const [session] = await sql<{ id: string; created_at: Date }[]>`
    with session as (insert into auth.sessions (user_id) values (${userId}) returning id, created_at),
      token as (
        insert into auth.refresh_tokens (token, user_id, session_id)
        select ${refreshToken}, ${userId}, id from session),
      amr as (
        insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
        select id, created_at, created_at, ${method}, gen_random_uuid() from session)
    select id, created_at from session`;
  return { userId, sessionId: session.id, signedInAt: session.created_at, method, refreshToken };
}

/** Whether the session an access token names still exists (it is gone after logout). */
export async function sessionExists(sql: postgres.Sql, sessionId: string): Promise<boolean> {
  const [row] = await sql`select 1 from auth.sessions where id = ${sessionId}`;
  return row !== undefined;
}

interface TokenRow {
  id: string;
  token: string;
  user_id: string;
  session_id: string;
  revoked: boolean;
  reuse_expired: boolean;
  signed_in_at: Date;
  method: SignInMethod | null;
}

/** Exchanges a refresh token for the session's next one, or throws GoTrue's refusal. */
export async function refreshSession(sql: postgres.Sql, refreshToken: string): Promise<SessionGrant> {
  const outcome = await sql.begin(async (tx): Promise<SessionGrant | AuthError> => {
    // Locking the token and its session serializes concurrent refreshes of one session. The reuse interval
    // is supabase start's `refresh_token_reuse_interval = 10`.
    const [row] = await tx<TokenRow[]>`
      select t.id, t.token, t.user_id, t.session_id, t.revoked, s.created_at as signed_in_at,
        now() > t.updated_at + interval '10 seconds' as reuse_expired,
        (select authentication_method from auth.mfa_amr_claims where session_id = s.id limit 1) as method
      from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
      where t.token = ${refreshToken}
      for update of t, s`;
    if (!row) return badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    const grant = async (token: string): Promise<SessionGrant> => {
      await tx`update auth.sessions set updated_at = now() where id = ${row.session_id}`;
      // Sessions started before the table existed signed in with a password: the only way there was.
      const method = row.method ?? "password";
      return {
        userId: row.user_id,
        sessionId: row.session_id,
        signedInAt: row.signed_in_at,
        method,
        refreshToken: token,
      };
    };
    if (row.revoked) {
      const [active] = await tx<{ token: string; parent: string | null }[]>`
        select token, parent from auth.refresh_tokens
        where session_id = ${row.session_id} and not revoked order by id desc limit 1`;
      if (active && active.parent === row.token) return grant(active.token);
      if (row.reuse_expired) {
        await tx`
          update auth.refresh_tokens set revoked = true, updated_at = now()
          where session_id = ${row.session_id} and not revoked`;
        // Returned, not thrown: the revocation must commit.
        return badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used");
      }
    }
    const next = newRefreshToken();
    await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${row.id}`;
    await tx`
      insert into auth.refresh_tokens (token, user_id, session_id, parent)
      values (${next}, ${row.user_id}, ${row.session_id}, ${row.token})`;
    return grant(next);
  });
  if (outcome instanceof AuthError) throw outcome;
  return outcome;
}

/**
 * Ends sessions of a user: `local` the given one, `others` every other one, `global` all of them (also what
 * a token without a session gets, like GoTrue).
 */
export async function endSessions(
  sql: postgres.Sql,
  userId: string,
  sessionId: string | undefined,
  scope: LogoutScope,
): Promise<void> {
  if (sessionId && scope === "local") await sql`delete from auth.sessions where id = ${sessionId}`;
  else if (sessionId && scope === "others") {
    await sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
  } else await sql`delete from auth.sessions where user_id = ${userId}`;
}
