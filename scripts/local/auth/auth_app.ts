/**
 * The GoTrue-compatible subset of Supabase Auth that supabase-js needs, mounted by the gateway at /auth/v1:
 * email signup (auto-confirmed), password and refresh-token grants, sign-in links and codes, recovery, invitations
 * and email changes by mail (to the local mail catcher), the user, logout, the admin API, and the discovery
 * endpoints auth-js may call. Users, sessions and refresh tokens live in the database's auth schema, as
 * GoTrue keeps them, so SQL (the signup trigger, RLS through auth.uid()) sees what a real stack would.
 */
import { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { AuthError, authErrorResponse } from "./errors.ts";
import { registerAdminLinks } from "./route_admin_links.ts";
import { registerAdminUsers } from "./route_admin_users.ts";
import { registerDisabledFeatures } from "./route_disabled_features.ts";
import { registerLogout } from "./route_logout.ts";
import { registerOtp } from "./route_otp.ts";
import { registerReauthenticate } from "./route_reauthenticate.ts";
import { registerRecover } from "./route_recover.ts";
import { registerResend } from "./route_resend.ts";
import { registerSignup } from "./route_signup.ts";
import { registerToken } from "./route_token.ts";
import { registerUser } from "./route_user.ts";
import { registerVerify } from "./route_verify.ts";

/** The auth app for the gateway's /auth/v1. */
export function authApp(ctx: StackContext): Hono {
  const app = new Hono();
  app.onError(authErrorResponse);
  registerSignup(app, ctx);
  registerToken(app, ctx);
  registerUser(app, ctx);
  registerLogout(app, ctx);
  registerOtp(app, ctx);
  registerRecover(app, ctx);
  registerResend(app, ctx);
  registerVerify(app, ctx);
  registerReauthenticate(app, ctx);
  registerAdminUsers(app, ctx);
  registerAdminLinks(app, ctx);
  registerDisabledFeatures(app, ctx);
  // An HS256 project publishes no keys: clients verify its tokens through GET /user or the shared secret.
  app.get("/.well-known/jwks.json", (c) => c.json({ keys: [] }));
  app.get("/settings", (c) =>
    c.json({
      external: { anonymous_users: false, email: true, phone: false },
      disable_signup: false,
      mailer_autoconfirm: true,
      phone_autoconfirm: false,
      sms_provider: "",
      saml_enabled: false,
    }),
  );
  app.get("/health", (c) =>
    c.json({
      version: "kiln-local",
      name: "GoTrue",
      description: "GoTrue is a user registration and authentication API",
    }),
  );
  // GoTrue's router answers a path it lacks in plain text; the local stack lacks more of them (see the README's
  // table), so it answers in GoTrue's JSON shape, which auth-js can read, naming what is missing.
  // Registered last: a catch-all (a mounted app's notFound is not consulted).
  app.all("*", (c) =>
    authErrorResponse(
      new AuthError(404, "not_found", `The local stack does not serve ${c.req.method} ${c.req.path}`),
      c,
    ),
  );
  return app;
}
