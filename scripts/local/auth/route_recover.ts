/**
 * POST /recover: a password-reset link and code by mail (auth-js's resetPasswordForEmail). An address with no user
 * gets the same `{}` and no mail, so the answer never tells who has an account.
 */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { allowedRedirect, sendAuthMail } from "./auth_mail.ts";
import { validateEmail } from "./credentials.ts";
import { issueToken } from "./email_tokens.ts";
import { badRequest } from "./errors.ts";
import { readBody, stringField } from "./request_body.ts";
import { findUserByEmail } from "./users.ts";

export function registerRecover(app: Hono, ctx: StackContext): void {
  app.post("/recover", async (c) => {
    const email = stringField(await readBody(c), "email");
    if (!email) throw badRequest("validation_failed", "Password recovery requires an email");
    const address = validateEmail(email);
    const user = await findUserByEmail(ctx.sql, address);
    if (user) {
      const token = await issueToken(ctx.sql, user, "recovery");
      const redirectTo = allowedRedirect(ctx, c.req.query("redirect_to"));
      sendAuthMail(ctx, { to: address, type: "recovery", token, redirectTo });
    }
    return c.json({});
  });
}
