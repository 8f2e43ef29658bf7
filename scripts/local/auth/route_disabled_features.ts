/**
 * What GoTrue answers for features a `supabase start` leaves switched off, and the local stack does not have:
 * OAuth providers (none enabled), MFA enrolment (TOTP and phone off) and SAML SSO (off). Clients get the very
 * refusal they would get there, instead of a 404 for a route that exists on Supabase.
 */
import type { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { authenticate } from "./access_tokens.ts";
import { AuthError, badRequest, unprocessable } from "./errors.ts";
import { readBody } from "./request_body.ts";

export function registerDisabledFeatures(app: Hono, ctx: StackContext): void {
  app.get("/authorize", () => {
    throw badRequest("validation_failed", "Unsupported provider: provider is not enabled");
  });

  app.post("/factors", async (c) => {
    await authenticate(ctx, c.req.header("authorization"));
    const body = await readBody(c);
    if (body.factor_type === "phone") {
      throw unprocessable("mfa_phone_enroll_not_enabled", "MFA enroll is disabled for Phone");
    }
    throw unprocessable("mfa_totp_enroll_not_enabled", "MFA enroll is disabled for TOTP");
  });

  app.post("/sso", () => {
    throw new AuthError(404, "saml_provider_disabled", "SAML 2.0 is disabled");
  });
}
