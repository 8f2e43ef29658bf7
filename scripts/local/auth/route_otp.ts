/**
 * POST /otp and POST /magiclink: a sign-in link and code by mail (auth-js's signInWithOtp). As on a
 * `supabase start`, whose signups need no confirmation, an address with no user gets a confirmed one first, unless
 * the caller says create_user: false; the mail is then the same magic link. Answers `{}` either way.
 */
import type { Context, Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { allowedRedirect, sendAuthMail } from "./auth_mail.ts";
import { validateEmail } from "./credentials.ts";
import { issueToken } from "./email_tokens.ts";
import { badRequest, unprocessable } from "./errors.ts";
import { objectField, readBody, stringField } from "./request_body.ts";
import { createEmailUser, findUserByEmail, type UserRow } from "./users.ts";

/** The user of `email`, confirmed: made now when there is none, confirmed now when it never was. */
async function confirmedUser(ctx: StackContext, email: string, data: Record<string, unknown>): Promise<UserRow> {
  const existing = await findUserByEmail(ctx.sql, email);
  if (existing?.email_confirmed_at) return existing;
  if (existing) {
    const [row] = await ctx.sql<UserRow[]>`
      update auth.users set email_confirmed_at = now(), updated_at = now() where id = ${existing.id} returning *`;
    return row;
  }
  return createEmailUser(ctx.sql, {
    email,
    passwordHash: null,
    data,
    confirmed: true,
    identityClaims: true,
    // Two first sign-ins of one address at once: the second finds the first's user.
    taken: () => unprocessable("user_already_exists", "User already registered"),
  });
}

async function mailSignInLink(c: Context, ctx: StackContext, route: "otp" | "magiclink"): Promise<Response> {
  const body = await readBody(c);
  const createUser = route === "magiclink" || body.create_user !== false;
  const email = stringField(body, "email");
  const phone = stringField(body, "phone");
  if (email && phone) {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided");
  }
  if (phone) throw badRequest("phone_provider_disabled", "Unsupported phone provider");
  if (!email) throw badRequest("validation_failed", "One of email or phone must be set");
  const address = validateEmail(email);
  if (!createUser && !(await findUserByEmail(ctx.sql, address))) {
    throw unprocessable("otp_disabled", "Signups not allowed for otp");
  }
  const user = await confirmedUser(ctx, address, objectField(body, "data") ?? {});
  const token = await issueToken(ctx.sql, user, "recovery");
  const redirectTo = allowedRedirect(ctx, c.req.query("redirect_to"));
  sendAuthMail(ctx, { to: address, type: "magiclink", token, redirectTo });
  return c.json({});
}

/** Registers POST /otp (create_user defaults to true) and the older POST /magiclink. */
export function registerOtp(app: Hono, ctx: StackContext): void {
  app.post("/otp", (c) => mailSignInLink(c, ctx, "otp"));
  app.post("/magiclink", (c) => mailSignInLink(c, ctx, "magiclink"));
}
