/**
 * The admin's mail routes, with the service key: POST /invite mails an invitation (auth-js's inviteUserByEmail);
 * POST /admin/generate_link makes the link and code of any of Auth's mails and answers them with the user, sending
 * nothing (auth-js's generateLink), for apps that deliver their own mail.
 */
import type { Context, Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { requireAdmin } from "./access_tokens.ts";
import { actionLink, allowedRedirect, type MailType, sendAuthMail } from "./auth_mail.ts";
import { checkPasswordStrength, hashPassword, validateEmail } from "./credentials.ts";
import { type EmailToken, issueEmailChange, issueToken } from "./email_tokens.ts";
import { AuthError, badRequest, emailTaken, unprocessable } from "./errors.ts";
import { type Body, objectField, readBody, stringField } from "./request_body.ts";
import { createEmailUser, findUserByEmail, findUserById, type UserRow, userJson } from "./users.ts";

/** The user to invite: an unconfirmed one of that address, or a new one. A confirmed user is email_exists. */
async function invitee(ctx: StackContext, email: string, body: Body): Promise<UserRow> {
  const existing = await findUserByEmail(ctx.sql, email);
  if (existing?.email_confirmed_at) throw emailTaken();
  const user =
    existing ??
    (await createEmailUser(ctx.sql, {
      email,
      passwordHash: null,
      data: objectField(body, "data") ?? {},
      confirmed: false,
      invited: true,
      identityClaims: false,
      taken: emailTaken,
    }));
  const [row] = await ctx.sql<UserRow[]>`
    update auth.users set invited_at = now(), updated_at = now() where id = ${user.id} returning *`;
  return row;
}

/**
 * A user who signs up through a generated link: unconfirmed until the link is followed, its user_metadata exactly
 * as given (GoTrue's admin paths add no identity claims; found by auth-js's own GoTrueApi tests).
 */
async function signupUser(ctx: StackContext, email: string, body: Body): Promise<UserRow> {
  const existing = await findUserByEmail(ctx.sql, email);
  if (existing?.email_confirmed_at) throw emailTaken();
  if (existing) return existing;
  const password = stringField(body, "password");
  if (!password) throw unprocessable("validation_failed", "Signup requires a valid password");
  checkPasswordStrength(password);
  return createEmailUser(ctx.sql, {
    email,
    passwordHash: await hashPassword(password),
    data: objectField(body, "data") ?? {},
    confirmed: false,
    identityClaims: false,
    taken: emailTaken,
  });
}

/** The user a recovery or email-change link is for, or GoTrue's 404. */
async function existingUser(ctx: StackContext, email: string): Promise<UserRow> {
  const user = await findUserByEmail(ctx.sql, email);
  if (!user) throw new AuthError(404, "user_not_found", "User with this email not found");
  return user;
}

/**
 * The user and token of one generate_link type, and the verification type its link carries. A magic link for an
 * address with no user is a signup link with a random password, as in GoTrue.
 */
async function generated(
  ctx: StackContext,
  type: string,
  email: string,
  body: Body,
): Promise<{ user: UserRow; token: EmailToken; linkType: MailType }> {
  if (type === "magiclink" && !(await findUserByEmail(ctx.sql, email))) {
    return generated(ctx, "signup", email, { ...body, password: crypto.randomUUID() });
  }
  switch (type) {
    case "signup": {
      const user = await signupUser(ctx, email, body);
      return { user, token: await issueToken(ctx.sql, user, "confirmation", false), linkType: "signup" };
    }
    case "invite": {
      const user = await invitee(ctx, email, body);
      return { user, token: await issueToken(ctx.sql, user, "confirmation", false), linkType: "invite" };
    }
    case "magiclink":
    case "recovery": {
      const user = await existingUser(ctx, email);
      return { user, token: await issueToken(ctx.sql, user, "recovery", false), linkType: type };
    }
    case "email_change_current":
    case "email_change_new": {
      const user = await existingUser(ctx, email);
      const next = validateEmail(stringField(body, "new_email"));
      const other = await findUserByEmail(ctx.sql, next);
      if (other && other.id !== user.id) throw emailTaken();
      const tokens = await issueEmailChange(ctx.sql, user, next, false);
      const token = type === "email_change_new" ? tokens.next : tokens.current;
      return { user, token, linkType: "email_change" };
    }
    default:
      throw badRequest("validation_failed", `Invalid email action link type requested: ${type}`);
  }
}

function redirectOf(c: Context, ctx: StackContext, body: Body): string {
  return allowedRedirect(ctx, c.req.query("redirect_to") ?? stringField(body, "redirect_to"));
}

export function registerAdminLinks(app: Hono, ctx: StackContext): void {
  app.post("/invite", async (c) => {
    await requireAdmin(ctx, c.req.header("authorization"));
    const body = await readBody(c);
    const email = validateEmail(stringField(body, "email"));
    const user = await invitee(ctx, email, body);
    const token = await issueToken(ctx.sql, user, "confirmation");
    sendAuthMail(ctx, { to: email, type: "invite", token, redirectTo: redirectOf(c, ctx, body) });
    return c.json(userJson((await findUserById(ctx.sql, user.id)) ?? user));
  });

  app.post("/admin/generate_link", async (c) => {
    await requireAdmin(ctx, c.req.header("authorization"));
    const body = await readBody(c);
    const type = stringField(body, "type") ?? "";
    const email = validateEmail(stringField(body, "email"));
    const { user, token, linkType } = await generated(ctx, type, email, body);
    const redirectTo = redirectOf(c, ctx, body);
    return c.json({
      ...userJson((await findUserById(ctx.sql, user.id)) ?? user),
      action_link: actionLink(ctx, linkType, token, redirectTo),
      email_otp: token.otp,
      hashed_token: token.hash,
      verification_type: linkType === "email_change" ? type : linkType,
      redirect_to: redirectTo,
    });
  });
}
