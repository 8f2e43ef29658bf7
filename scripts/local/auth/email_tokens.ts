/**
 * One-time email tokens as GoTrue keeps them (internal/api/mail.go, verify.go): a 6-digit code, stored in the
 * user's row as the hex SHA-224 of the address and the code, which is also the `token` of the mailed link. A token
 * is good for supabase start's `otp_expiry` of an hour and is cleared when used; a new mail of a kind to a user
 * waits `max_frequency` (1 s) after the last.
 */
import { createHash, randomInt } from "node:crypto";
import type postgres from "postgres";
import { AuthError, emailTaken, forbidden } from "./errors.ts";
import type { UserRow } from "./users.ts";

const OTP_EXPIRY_SECONDS = 3600;
const MAX_FREQUENCY_SECONDS = 1;

/** Where a kind of token lives in auth.users: the hash, when it was sent, and the address it was sent to. */
interface TokenSlot {
  token: string;
  sentAt: string;
  address: "email" | "email_change";
}

const CONFIRMATION: TokenSlot = { token: "confirmation_token", sentAt: "confirmation_sent_at", address: "email" };
const RECOVERY: TokenSlot = { token: "recovery_token", sentAt: "recovery_sent_at", address: "email" };
const REAUTHENTICATION: TokenSlot = {
  token: "reauthentication_token",
  sentAt: "reauthentication_sent_at",
  address: "email",
};
const EMAIL_CHANGE_NEW: TokenSlot = {
  token: "email_change_token_new",
  sentAt: "email_change_sent_at",
  address: "email_change",
};
const EMAIL_CHANGE_CURRENT: TokenSlot = {
  token: "email_change_token_current",
  sentAt: "email_change_sent_at",
  address: "email",
};

/** The verification types of /verify; `email` is a code that may be either a confirmation or a sign-in. */
export type VerificationType = "signup" | "invite" | "magiclink" | "recovery" | "email_change" | "email";

export const VERIFICATION_TYPES: readonly VerificationType[] = [
  "signup",
  "invite",
  "magiclink",
  "recovery",
  "email_change",
  "email",
];

/** What a verification counts as once its token has matched: `email` becomes a signup or a magic link. */
type MatchedType = Exclude<VerificationType, "email">;

/** The slots a verification type may match, in GoTrue's order, each with the type it then counts as. */
const SLOTS: Record<VerificationType, [TokenSlot, MatchedType][]> = {
  signup: [[CONFIRMATION, "signup"]],
  invite: [[CONFIRMATION, "invite"]],
  magiclink: [[RECOVERY, "magiclink"]],
  recovery: [[RECOVERY, "recovery"]],
  email_change: [
    [EMAIL_CHANGE_CURRENT, "email_change"],
    [EMAIL_CHANGE_NEW, "email_change"],
  ],
  email: [
    [CONFIRMATION, "signup"],
    [RECOVERY, "magiclink"],
  ],
};

/** A new code and the hash stored for it. */
export interface EmailToken {
  otp: string;
  hash: string;
}

/** GoTrue's token hash: hex SHA-224 of the address followed by the code. */
export function tokenHash(address: string, otp: string): string {
  return createHash("sha224")
    .update(address + otp)
    .digest("hex");
}

/** A fresh 6-digit code for `address`. */
export function newEmailToken(address: string): EmailToken {
  const otp = String(randomInt(0, 1_000_000)).padStart(6, "0");
  return { otp, hash: tokenHash(address, otp) };
}

/** GoTrue's 429 for a mail asked for too soon after the last of its kind. */
function tooSoon(secondsLeft: number): AuthError {
  return new AuthError(
    429,
    "over_email_send_rate_limit",
    `For security purposes, you can only request this after ${Math.max(0, Math.ceil(secondsLeft))} seconds.`,
  );
}

/**
 * Applies `assignments` to the user's row and stamps `sentAt`, unless a mail of that kind went out less than
 * max_frequency ago (then GoTrue's 429). `enforce: false` is the admin's generate_link, which sends nothing.
 */
async function stampUnlessTooSoon(
  sql: postgres.Sql,
  user: UserRow,
  sentAt: string,
  assignments: postgres.PendingQuery<postgres.Row[]>,
  enforce: boolean,
): Promise<void> {
  const [row] = await sql<{ updated: boolean; seconds_left: number }[]>`
    with updated as (
      update auth.users set ${assignments}, ${sql(sentAt)} = now(), updated_at = now()
      where id = ${user.id} and (not ${enforce} or ${sql(sentAt)} is null
        or ${sql(sentAt)} <= now() - make_interval(secs => ${MAX_FREQUENCY_SECONDS}))
      returning 1)
    select exists (select from updated) as updated,
      extract(epoch from (select ${sql(sentAt)} from auth.users where id = ${user.id})
        + make_interval(secs => ${MAX_FREQUENCY_SECONDS}) - now())::float8 as seconds_left`;
  if (!row.updated) throw tooSoon(row.seconds_left);
}

const ISSUED: Record<"confirmation" | "recovery" | "reauthentication", TokenSlot> = {
  confirmation: CONFIRMATION,
  recovery: RECOVERY,
  reauthentication: REAUTHENTICATION,
};

/**
 * Stores a new confirmation (signup, invite), recovery (magic link, recovery) or reauthentication token for the
 * user, or throws the 429 when one went out less than a second ago.
 */
export async function issueToken(
  sql: postgres.Sql,
  user: UserRow,
  kind: keyof typeof ISSUED,
  enforceFrequency = true,
): Promise<EmailToken> {
  const slot = ISSUED[kind];
  const token = newEmailToken(user.email ?? "");
  await stampUnlessTooSoon(sql, user, slot.sentAt, sql`${sql(slot.token)} = ${token.hash}`, enforceFrequency);
  return token;
}

/** The tokens of an email change: one for the new address, one for the current (supabase start's secure change). */
export interface EmailChangeTokens {
  next: EmailToken;
  current: EmailToken;
}

/**
 * Records a pending change of the user's email to `newEmail` with a token for each address, or throws the 429.
 * The email itself changes only when one of them is verified.
 */
export async function issueEmailChange(
  sql: postgres.Sql,
  user: UserRow,
  newEmail: string,
  enforceFrequency = true,
): Promise<EmailChangeTokens> {
  const tokens = { next: newEmailToken(newEmail), current: newEmailToken(user.email ?? "") };
  const assignments = sql`email_change = ${newEmail}, email_change_token_new = ${tokens.next.hash},
    email_change_token_current = ${tokens.current.hash}, email_change_confirm_status = 0`;
  await stampUnlessTooSoon(sql, user, "email_change_sent_at", assignments, enforceFrequency);
  return tokens;
}

/** A user whose token matched, and the type the verification counts as. */
export interface Verified {
  user: UserRow;
  type: MatchedType;
}

/**
 * The user a token of this type belongs to: by its hash (a link's `token`, or `token_hash`), or by a code and the
 * address it was mailed to. A token that matches nothing, or has expired, is GoTrue's 403 otp_expired, worded as
 * GoTrue words each form.
 */
export async function findByToken(
  sql: postgres.Sql,
  type: VerificationType,
  proof: { hash: string } | { otp: string; email: string },
): Promise<Verified> {
  const byLink = "hash" in proof;
  for (const [slot, countsAs] of SLOTS[type]) {
    const email = byLink ? null : proof.email;
    const hash = byLink ? proof.hash : tokenHash(proof.email, proof.otp);
    const [row] = await sql<(UserRow & { expired: boolean })[]>`
      select *, ${sql(slot.sentAt)} + make_interval(secs => ${OTP_EXPIRY_SECONDS}) < now() as expired
      from auth.users
      where ${sql(slot.token)} = ${hash} and ${sql(slot.sentAt)} is not null
        and (${email}::text is null or lower(${sql(slot.address)}) = ${email})
      limit 1`;
    if (row && !row.expired) return { user: row, type: countsAs };
  }
  throw byLink
    ? forbidden("otp_expired", "Email link is invalid or has expired")
    : forbidden("otp_expired", "Token has expired or is invalid");
}

/**
 * What verifying does to the user, in one statement: a confirmation confirms the email; a sign-in link also
 * confirms it (it proves the address); an email change moves the email to the new address. The used token is
 * cleared, so a link works once.
 */
export async function consumeToken(sql: postgres.Sql, { user, type }: Verified): Promise<UserRow> {
  if (type === "email_change") {
    // Another user may have taken the address since the change was asked for: the unique email refuses it.
    const [row] = await sql<UserRow[]>`
      update auth.users set email = email_change, email_change = '', email_change_token_new = '',
        email_change_token_current = '', email_change_confirm_status = 0,
        raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || jsonb_build_object('email', email_change),
        updated_at = now()
      where id = ${user.id} returning *`.catch((error) => {
      throw (error as { code?: string }).code === "23505" ? emailTaken() : error;
    });
    return row;
  }
  const slot = type === "signup" || type === "invite" ? CONFIRMATION : RECOVERY;
  const [row] = await sql<UserRow[]>`
    update auth.users set ${sql(slot.token)} = '', email_confirmed_at = coalesce(email_confirmed_at, now()),
      updated_at = now()
    where id = ${user.id} returning *`;
  return row;
}
