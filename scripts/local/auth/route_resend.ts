/**
 * POST /resend: the signup confirmation or the email-change mails again (auth-js's resend). As GoTrue does, it
 * answers `{}` with no mail where there is nothing to resend: no such user, a confirmed signup, no pending change.
 */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { allowedRedirect, sendAuthMail, sendEmailChangeMails } from "./auth_mail.ts";
import { validateEmail } from "./credentials.ts";
import { issueEmailChange, issueToken } from "./email_tokens.ts";
import { badRequest } from "./errors.ts";
import { readBody, stringField } from "./request_body.ts";
import { findUserByEmail } from "./users.ts";

export function registerResend(app: Hono, ctx: StackContext): void {
  app.post("/resend", async (c) => {
    const body = await readBody(c);
    const type = stringField(body, "type");
    const email = stringField(body, "email");
    const phone = stringField(body, "phone");
    if (type === "sms" || type === "phone_change") {
      if (!phone) throw badRequest("validation_failed", "Type provided requires a phone number");
      throw badRequest("phone_provider_disabled", "Phone logins are disabled");
    }
    if (type !== "signup" && type !== "email_change") {
      throw badRequest("validation_failed", "Missing one of these types: signup, email_change, sms, phone_change");
    }
    if (!email) throw badRequest("validation_failed", "Type provided requires an email address");
    if (phone) throw badRequest("validation_failed", "Only an email address or phone number should be provided.");
    const user = await findUserByEmail(ctx.sql, validateEmail(email));
    const redirectTo = allowedRedirect(ctx, c.req.query("redirect_to"));
    if (type === "signup" && user && !user.email_confirmed_at) {
      const token = await issueToken(ctx.sql, user, "confirmation");
      sendAuthMail(ctx, { to: user.email ?? "", type: "signup", token, redirectTo });
    }
    if (type === "email_change" && user?.email_change) {
      const tokens = await issueEmailChange(ctx.sql, user, user.email_change);
      sendEmailChangeMails(ctx, { current: user.email ?? "", next: user.email_change, tokens, redirectTo });
    }
    return c.json({});
  });
}
