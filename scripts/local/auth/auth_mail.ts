/**
 * The mails Auth sends, with GoTrue's default subjects and a link of GoTrue's form
 * (`<auth>/verify?token=<hash>&type=<type>&redirect_to=<url>`), delivered to the local mail catcher. Also where a
 * link may send the user afterwards: the local stack allows any page on this machine, where `supabase start`
 * allows its configured site and redirect URLs; anything else goes to the site URL.
 */
import type { StackContext } from "../stack_context.ts";
import type { EmailChangeTokens, EmailToken } from "./email_tokens.ts";
import type { Mail } from "./mailbox.ts";

export type MailType = "signup" | "invite" | "magiclink" | "recovery" | "email_change" | "reauthentication";

const SUBJECTS: Record<MailType, string> = {
  signup: "Confirm Your Signup",
  invite: "You have been invited",
  magiclink: "Your Magic Link",
  recovery: "Reset Your Password",
  email_change: "Confirm Email Change",
  reauthentication: "Confirm reauthentication",
};

const ACTIONS: Record<MailType, string> = {
  signup: "confirm your email address",
  invite: "accept the invitation and sign in",
  magiclink: "sign in",
  recovery: "reset your password",
  email_change: "confirm the change of your email address",
  reauthentication: "confirm it is you",
};

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The site URL: where links land when no allowed redirect is asked for (the stack's own URL). */
export function siteUrl(ctx: StackContext): string {
  return ctx.publicUrl;
}

/** `requested` when it is an http(s) URL on this machine, else the site URL (GoTrue's GetReferrer, locally). */
export function allowedRedirect(ctx: StackContext, requested: string | undefined): string {
  if (!requested) return siteUrl(ctx);
  try {
    const url = new URL(requested);
    if ((url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_HOSTS.has(url.hostname)) return requested;
  } catch {
    // Not a URL: the site URL, as GoTrue does.
  }
  return siteUrl(ctx);
}

/** The verification link of a token, as GoTrue's mailer writes it. */
export function actionLink(ctx: StackContext, type: MailType, token: EmailToken, redirectTo: string): string {
  const query = new URLSearchParams({ token: token.hash, type, redirect_to: redirectTo });
  return `${ctx.publicUrl}/auth/v1/verify?${query}`;
}

/** Sends one of Auth's mails to the local mail catcher; a reauthentication mail carries its code only. */
export function sendAuthMail(
  ctx: StackContext,
  mail: { to: string; type: MailType; token: EmailToken; redirectTo: string },
): Mail {
  const code = mail.type === "reauthentication";
  const link = code ? "" : actionLink(ctx, mail.type, mail.token, mail.redirectTo);
  return ctx.mailbox.deliver({
    to: mail.to,
    subject: SUBJECTS[mail.type],
    type: mail.type,
    link,
    otp: mail.token.otp,
    text: code
      ? `Enter this code to ${ACTIONS[mail.type]}: ${mail.token.otp}\n`
      : `Follow this link to ${ACTIONS[mail.type]}:\n${link}\n\nOr enter this code: ${mail.token.otp}\n`,
  });
}

/** An email change's two mails: to the new address and, as supabase start's secure change has it, the current. */
export function sendEmailChangeMails(
  ctx: StackContext,
  change: { current: string; next: string; tokens: EmailChangeTokens; redirectTo: string },
): void {
  const { tokens, redirectTo } = change;
  sendAuthMail(ctx, { to: change.next, type: "email_change", token: tokens.next, redirectTo });
  sendAuthMail(ctx, { to: change.current, type: "email_change", token: tokens.current, redirectTo });
}
