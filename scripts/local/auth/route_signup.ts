/** POST /signup: an email user, confirmed at once (as `supabase start` confirms signups), and its first session. */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { sessionResponse } from "./access_tokens.ts";
import { checkPasswordStrength, hashPassword, validateEmail } from "./credentials.ts";
import { badRequest, unprocessable } from "./errors.ts";
import { objectField, readBody, stringField } from "./request_body.ts";
import { startSession } from "./sessions.ts";
import { createEmailUser, touchLastSignIn } from "./users.ts";

/** Registers POST /signup, checking in GoTrue's order so each bad request gets GoTrue's refusal. */
export function registerSignup(app: Hono, ctx: StackContext): void {
  app.post("/signup", async (c) => {
    const body = await readBody(c);
    const email = stringField(body, "email");
    const phone = stringField(body, "phone");
    const password = stringField(body, "password");
    // Neither email nor phone is an anonymous sign-in, which supabase start leaves off.
    if (!email && !phone) throw unprocessable("anonymous_provider_disabled", "Anonymous sign-ins are disabled");
    if (!password) throw unprocessable("validation_failed", "Signup requires a valid password");
    checkPasswordStrength(password);
    if (email && phone) {
      throw unprocessable("validation_failed", "Only an email address or phone number should be provided on signup.");
    }
    if (!email) throw badRequest("phone_provider_disabled", "Phone signups are disabled");
    const created = await createEmailUser(ctx.sql, {
      email: validateEmail(email),
      passwordHash: await hashPassword(password),
      data: objectField(body, "data") ?? {},
      confirmed: true,
      identityClaims: true,
      taken: () => unprocessable("user_already_exists", "User already registered"),
    });
    const grant = await startSession(ctx.sql, created.id, "password");
    return c.json(await sessionResponse(ctx, await touchLastSignIn(ctx.sql, created), grant));
  });
}
