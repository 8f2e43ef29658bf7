/**
 * What GoTrue answers for features a `supabase start` leaves switched off, and the local stack does not have:
 * OAuth providers and ID-token sign-in (none enabled), MFA enrolment (TOTP and phone off), SAML SSO (off) and
 * manual identity linking (off). Clients get the very
 * refusal they would get there, instead of a 404 for a route that exists on Supabase.
 */
import type { Context, Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { authenticate } from "./access_tokens.ts";
import { AuthError, badRequest, unprocessable } from "./errors.ts";
import { readBody, stringField } from "./request_body.ts";

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

  const linkingDisabled = async (c: Context) => {
    await authenticate(ctx, c.req.header("authorization"));
    throw new AuthError(404, "manual_linking_disabled", "Manual linking is disabled");
  };
  app.get("/user/identities/authorize", linkingDisabled);
  app.delete("/user/identities/:id", linkingDisabled);
}

/** The issuers GoTrue knows its ID-token providers by (token_oidc.go), for its "not enabled" refusal. */
const ID_TOKEN_ISSUERS: Record<string, string> = {
  google: "https://accounts.google.com",
  apple: "https://appleid.apple.com",
  facebook: "https://www.facebook.com",
  kakao: "https://kauth.kakao.com",
};

/** POST /token?grant_type=id_token: no provider is enabled on a default `supabase start`. */
export async function idTokenGrant(c: Context): Promise<Response> {
  const body = await readBody(c);
  const provider = stringField(body, "provider") ?? "";
  const issuer = ID_TOKEN_ISSUERS[provider] ?? stringField(body, "issuer") ?? provider;
  throw badRequest("provider_disabled", `Provider (issuer "${issuer}") is not enabled`);
}
