/** GET and PUT /user: the signed-in user, and changes to its email, password and user_metadata. */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { authenticate } from "./access_tokens.ts";
import { checkPasswordStrength, hashPassword, passwordMatches, validateEmail } from "./credentials.ts";
import { unprocessable } from "./errors.ts";
import { objectField, readBody, stringField } from "./request_body.ts";
import { endSessions } from "./sessions.ts";
import { type UserChanges, updateUser, userJson } from "./users.ts";

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
    // GoTrue mails a confirmation link for a new email; the local stack has no mail, so it applies the change.
    if (email) changes.email = validateEmail(email);
    if (password !== undefined) {
      checkPasswordStrength(password);
      if (await passwordMatches(password, user.encrypted_password)) {
        throw unprocessable("same_password", "New password should be different from the old password.");
      }
      changes.passwordHash = await hashPassword(password);
    }
    const updated = await updateUser(ctx.sql, user, changes);
    // A new password signs the user out everywhere else, as GoTrue's UpdatePassword does.
    if (changes.passwordHash) await endSessions(ctx.sql, user.id, sessionId, "others");
    return c.json(userJson(updated));
  });
}
