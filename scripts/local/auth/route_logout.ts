/** POST /logout?scope=global|local|others: ends the caller's sessions, and with them their refresh tokens. */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { authenticate } from "./access_tokens.ts";
import { badRequest } from "./errors.ts";
import { endSessions, type LogoutScope } from "./sessions.ts";

const SCOPES: readonly string[] = ["global", "local", "others"] satisfies LogoutScope[];

/** Registers POST /logout; answers 204 like GoTrue. */
export function registerLogout(app: Hono, ctx: StackContext): void {
  app.post("/logout", async (c) => {
    const { user, sessionId } = await authenticate(ctx, c.req.header("authorization"));
    const scope = c.req.query("scope") || "global";
    if (!SCOPES.includes(scope)) throw badRequest("validation_failed", `Unsupported logout scope "${scope}"`);
    await endSessions(ctx.sql, user.id, sessionId, scope as LogoutScope);
    return c.body(null, 204);
  });
}
