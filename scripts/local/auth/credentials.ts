/** Emails and passwords as GoTrue checks and stores them: its messages, bcrypt at cost 10. */
import bcrypt from "bcryptjs";
import { AuthError, badRequest } from "./errors.ts";

/** supabase start's default (`[auth] minimum_password_length`). */
const MIN_PASSWORD_LENGTH = 6;
/** bcrypt ignores what lies past 72 bytes, so GoTrue refuses longer passwords. */
const MAX_PASSWORD_LENGTH = 72;
const BCRYPT_COST = 10;

// The format check GoTrue uses (badoux/checkmail's ValidateFormat): a local part, then dot-separated DNS labels.
const DNS_LABEL = "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?";
const EMAIL_FORMAT = new RegExp(`^[a-zA-Z0-9.!#$%&'*+/=?^_\`{|}~-]+@${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);

/** Returns the email lowercased, as GoTrue stores it, or throws its 400 validation_failed. */
export function validateEmail(email: unknown): string {
  if (typeof email !== "string" || email === "") throw badRequest("validation_failed", "An email address is required");
  if (email.length > 255) throw badRequest("validation_failed", "An email address is too long");
  if (!EMAIL_FORMAT.test(email)) {
    throw badRequest("validation_failed", "Unable to validate email address: invalid format");
  }
  return email.toLowerCase();
}

/** Throws GoTrue's refusal for a password it would not accept: too long (400) or too short (422 weak_password). */
export function checkPasswordStrength(password: string): void {
  // Go's len(): bytes, not characters.
  const bytes = new TextEncoder().encode(password).length;
  if (bytes > MAX_PASSWORD_LENGTH) {
    throw badRequest("validation_failed", `Password cannot be longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (bytes < MIN_PASSWORD_LENGTH) {
    throw new AuthError(422, "weak_password", `Password should be at least ${MIN_PASSWORD_LENGTH} characters.`, [
      "length",
    ]);
  }
}

/** The bcrypt hash stored in auth.users.encrypted_password. */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

/** Whether `password` matches a stored bcrypt hash; a user without one has no password to match. */
export async function passwordMatches(password: string, hash: string | null): Promise<boolean> {
  return hash ? bcrypt.compare(password, hash) : false;
}
