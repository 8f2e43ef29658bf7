/**
 * GET /reauthenticate: a one-time code by mail that proves the signed-in user is at the keyboard (auth-js's
 * reauthenticate). A token that names no user (the anon key) gets GoTrue's 400; an unconfirmed email its 422.
 * supabase start does not require the code for a password change (secure_password_change off), so nothing here
 * consumes it yet.
 */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { authenticate } from "./access_tokens.ts";
import { sendAuthMail, siteUrl } from "./auth_mail.ts";
import { issueToken } from "./email_tokens.ts";
import { badRequest, unprocessable } from "./errors.ts";

export function registerReauthenticate(app: Hono, ctx: StackContext): void {
  app.get("/reauthenticate", async (c) => {
    const authorization = c.req.header("authorization");
    const bearer = /^bearer (\S+)$/i.exec(authorization ?? "")?.[1];
    const claims = bearer ? await ctx.keys.verify(bearer).catch(() => undefined) : undefined;
    if (claims && !claims.sub) {
      throw badRequest("validation_failed", "Reauthentication requires the user to have an email or a phone number");
    }
    const { user } = await authenticate(ctx, authorization);
    if (!user.email) {
      throw badRequest("validation_failed", "Reauthentication requires the user to have an email or a phone number");
    }
    if (!user.email_confirmed_at) throw unprocessable("email_not_confirmed", "Please verify your email first.");
    const token = await issueToken(ctx.sql, user, "reauthentication");
    sendAuthMail(ctx, { to: user.email, type: "reauthentication", token, redirectTo: siteUrl(ctx) });
    return c.json({});
  });
}
