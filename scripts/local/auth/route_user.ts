/**
 * GET and PUT /user: the signed-in user, and changes to its password, user_metadata and email. A new email is
 * pending until a link mailed to the new or the current address is followed (supabase start's secure email change
 * with its signups needing no confirmation, where either link completes it).
 */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { authenticate } from "./access_tokens.ts";
import { allowedRedirect, sendEmailChangeMails } from "./auth_mail.ts";
import { checkPasswordStrength, hashPassword, passwordMatches, validateEmail } from "./credentials.ts";
import { issueEmailChange } from "./email_tokens.ts";
import { emailTaken, unprocessable } from "./errors.ts";
import { objectField, readBody, stringField } from "./request_body.ts";
import { endSessions } from "./sessions.ts";
import { findUserByEmail, findUserById, type UserChanges, updateUser, userJson } from "./users.ts";

/** Registers GET /user and PUT /user. */
export function registerUser(app: Hono, ctx: StackContext): void {
  app.get("/user", async (c) => {
    const { user } = await authenticate(ctx, c.req.header("authorization"));
    return c.json(userJson(user));
  });

  app.put("/user", async (c) => {
    const { user, sessionId } = await authenticate(ctx, c.req.header("authorization"));
    const body = await readBody(c);
    const email = stringField(body, "email");
    const password = stringField(body, "password");
    const changes: UserChanges = { data: objectField(body, "data") };
    const newEmail = email ? validateEmail(email) : undefined;
    if (newEmail && newEmail !== user.email) {
      const other = await findUserByEmail(ctx.sql, newEmail);
      if (other && other.id !== user.id) throw emailTaken();
    }
    if (password !== undefined) {
      checkPasswordStrength(password);
      if (await passwordMatches(password, user.encrypted_password)) {
        throw unprocessable("same_password", "New password should be different from the old password.");
      }
      changes.passwordHash = await hashPassword(password);
    }
    let updated = await updateUser(ctx.sql, user, changes);
    // A new password signs the user out everywhere else, as GoTrue's UpdatePassword does.
    if (changes.passwordHash) await endSessions(ctx.sql, user.id, sessionId, "others");
    if (newEmail && newEmail !== user.email) {
      const tokens = await issueEmailChange(ctx.sql, updated, newEmail);
      const redirectTo = allowedRedirect(ctx, c.req.query("redirect_to"));
      sendEmailChangeMails(ctx, { current: user.email ?? "", next: newEmail, tokens, redirectTo });
      updated = (await findUserById(ctx.sql, user.id)) ?? updated;
    }
    return c.json(userJson(updated));
  });
}
