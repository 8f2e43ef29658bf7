/** POST /token: the password and refresh_token grants, each answering a new session response; id_token refused. */
import type { Context, Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { sessionResponse } from "./access_tokens.ts";
import { passwordMatches } from "./credentials.ts";
import { badRequest, OAuthError } from "./errors.ts";
import { readBody, stringField } from "./request_body.ts";
import { idTokenGrant } from "./route_disabled_features.ts";
import { refreshSession, startSession } from "./sessions.ts";
import { findUserByEmail, findUserById, touchLastSignIn } from "./users.ts";

/** GoTrue gives one answer for an unknown email and a wrong password, so neither reveals who has an account. */
const invalidCredentials = () => badRequest("invalid_credentials", "Invalid login credentials");

async function passwordGrant(c: Context, ctx: StackContext): Promise<Response> {
  const body = await readBody(c);
  const email = stringField(body, "email");
  const password = stringField(body, "password") ?? "";
  if (!email) {
    // No user of the local stack has a phone.
    if (stringField(body, "phone")) throw invalidCredentials();
    throw badRequest("validation_failed", "missing email or phone");
  }
  const user = await findUserByEmail(ctx.sql, email.toLowerCase());
  if (!user || !(await passwordMatches(password, user.encrypted_password))) throw invalidCredentials();
  if (!user.email_confirmed_at) throw badRequest("email_not_confirmed", "Email not confirmed");
  const grant = await startSession(ctx.sql, user.id, "password");
  return c.json(await sessionResponse(ctx, await touchLastSignIn(ctx.sql, user), grant));
}

async function refreshTokenGrant(c: Context, ctx: StackContext): Promise<Response> {
  const refreshToken = stringField(await readBody(c), "refresh_token");
  if (!refreshToken) throw new OAuthError("invalid_request", "refresh_token required");
  const grant = await refreshSession(ctx.sql, refreshToken);
  // Deleting a user deletes its sessions and their tokens, so the user of a live token exists.
  const user = await findUserById(ctx.sql, grant.userId);
  if (!user) throw badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
  return c.json(await sessionResponse(ctx, user, grant));
}

/** Registers POST /token?grant_type=password|refresh_token. */
export function registerToken(app: Hono, ctx: StackContext): void {
  app.post("/token", (c) => {
    const grantType = c.req.query("grant_type");
    if (grantType === "password") return passwordGrant(c, ctx);
    if (grantType === "refresh_token") return refreshTokenGrant(c, ctx);
    if (grantType === "id_token") return idTokenGrant(c);
    throw new OAuthError("unsupported_grant_type");
  });
}
