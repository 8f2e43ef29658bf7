/**
 * /verify: a mailed token turned into a session. POST (auth-js's verifyOtp) takes a code with its address, or a
 * `token_hash`, and answers the session. GET is the mailed link: it redirects (303) to the allowed redirect with the
 * session in the fragment, or GoTrue's error fragment (`error`, `error_code`, `error_description`) when the link
 * is spent or expired. Only the implicit flow: PKCE links are among what the local stack lacks (README).
 */
import type { Context, Hono } from "hono";
import type { StackContext } from "../stack_context.ts";
import { sessionResponse } from "./access_tokens.ts";
import { allowedRedirect } from "./auth_mail.ts";
import { validateEmail } from "./credentials.ts";
import { consumeToken, findByToken, VERIFICATION_TYPES, type VerificationType } from "./email_tokens.ts";
import { AuthError, badRequest, forbidden, unprocessable } from "./errors.ts";
import { readBody, stringField } from "./request_body.ts";
import { startSession } from "./sessions.ts";
import { touchLastSignIn } from "./users.ts";

function verificationType(type: string | undefined): VerificationType {
  if (!type) throw badRequest("validation_failed", "Verify requires a verification type");
  if (!(VERIFICATION_TYPES as readonly string[]).includes(type)) {
    throw badRequest("validation_failed", "Unsupported verification type");
  }
  return type as VerificationType;
}

const isVerificationType = (type: string): type is VerificationType =>
  (VERIFICATION_TYPES as readonly string[]).includes(type);

/** GoTrue's refusal of a code that matches nothing: also what any phone code gets, as no local user has a phone. */
const invalidCode = () => forbidden("otp_expired", "Token has expired or is invalid");

/** GoTrue's E.164 check (a leading + and spaces dropped). */
function validatePhone(phone: string): void {
  if (!/^[1-9]\d{1,14}$/.test(phone.replace(/^\+/, "").replaceAll(" ", ""))) {
    throw badRequest("validation_failed", "Invalid phone number format (E.164 required)");
  }
}

/** Verifies, uses the token, and starts a session signed in by `otp` (GoTrue's amr for every mailed token). */
async function verifiedSession(
  ctx: StackContext,
  type: VerificationType,
  proof: { hash: string } | { otp: string; email: string },
) {
  const verified = await findByToken(ctx.sql, type, proof);
  const user = await consumeToken(ctx.sql, verified);
  const grant = await startSession(ctx.sql, user.id, "otp");
  return sessionResponse(ctx, await touchLastSignIn(ctx.sql, user), grant);
}

/** POST /verify, checking in GoTrue's order so each bad request gets GoTrue's refusal. */
async function verifyPost(c: Context, ctx: StackContext): Promise<Response> {
  const body = await readBody(c);
  const type = stringField(body, "type");
  if (!type) throw badRequest("validation_failed", "Verify requires a verification type");
  const token = stringField(body, "token");
  const hash = stringField(body, "token_hash");
  const email = stringField(body, "email");
  const phone = stringField(body, "phone");
  if (!token === !hash) throw badRequest("validation_failed", "Verify requires either a token or a token hash");
  if (hash) {
    if (email || phone || stringField(body, "redirect_to")) {
      throw badRequest("validation_failed", "Only the token_hash and type should be provided");
    }
    if (!isVerificationType(type)) throw badRequest("validation_failed", "Invalid email verification type");
    return c.json(await verifiedSession(ctx, type, { hash: hash ?? "" }));
  }
  if (phone && !email) {
    validatePhone(phone);
    throw invalidCode();
  }
  if (!email || phone) {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided on verify");
  }
  let address: string;
  try {
    address = validateEmail(email);
  } catch {
    throw unprocessable("validation_failed", "Invalid email format");
  }
  if (!isVerificationType(type)) throw invalidCode();
  return c.json(await verifiedSession(ctx, type, { otp: token ?? "", email: address }));
}

/** GoTrue's names for an error's status in a redirect's fragment. */
const OAUTH_ERRORS: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized_client",
  403: "access_denied",
  500: "server_error",
};

async function verifyGet(c: Context, ctx: StackContext): Promise<Response> {
  const type = verificationType(c.req.query("type"));
  const hash = c.req.query("token");
  if (!hash) throw badRequest("validation_failed", "Verify requires a token or a token hash");
  const redirectTo = allowedRedirect(ctx, c.req.query("redirect_to"));
  const fragment = new URLSearchParams();
  try {
    const session = await verifiedSession(ctx, type, { hash });
    fragment.set("access_token", session.access_token);
    fragment.set("expires_at", String(session.expires_at));
    fragment.set("expires_in", String(session.expires_in));
    fragment.set("refresh_token", session.refresh_token);
    fragment.set("token_type", session.token_type);
    fragment.set("type", type);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    fragment.set("error", OAUTH_ERRORS[error.status] ?? "server_error");
    fragment.set("error_code", error.code);
    fragment.set("error_description", error.message);
  }
  // Supabase Auth marks its redirects so clients can tell them from others.
  fragment.set("sb", "");
  return c.redirect(`${redirectTo.split("#")[0]}#${fragment}`, 303);
}

export function registerVerify(app: Hono, ctx: StackContext): void {
  app.post("/verify", (c) => verifyPost(c, ctx));
  app.get("/verify", (c) => verifyGet(c, ctx));
}
