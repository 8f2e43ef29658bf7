/** Rows of auth.users, and the user JSON GoTrue returns for them. */
import type postgres from "postgres";
import { emailTaken } from "./errors.ts";

type Json = Record<string, unknown>;

/** An auth.users row. As hosted, most columns may be null: a row inserted by SQL names only what it sets. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  confirmation_sent_at: Date | null;
  recovery_sent_at: Date | null;
  /** A pending new email, until one of its tokens is verified. */
  email_change: string | null;
  email_change_sent_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Json | null;
  raw_user_meta_data: Json | null;
  is_anonymous: boolean;
  created_at: Date | null;
  updated_at: Date | null;
}

/** What an email signup records as app_metadata (GoTrue's `provider` and `providers`). */
export const EMAIL_APP_METADATA = { provider: "email", providers: ["email"] };

/** The user with this id, or undefined. */
export async function findUserById(sql: postgres.Sql, id: string): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select * from auth.users where id = ${id}`;
  return row;
}

/** The user with this (lowercased) email, or undefined. */
export async function findUserByEmail(sql: postgres.Sql, email: string): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`select * from auth.users where lower(email) = ${email}`;
  return row;
}

/** How a user is made: by signup (confirmed, as the local stack auto-confirms) or by the admin API. */
export interface NewUser {
  email: string;
  /** None for users who sign in by mail only (invited, or made by a sign-in code), as GoTrue leaves it empty. */
  passwordHash: string | null;
  /** user_metadata as given. */
  data: Json;
  /** The admin API's own id, if it gives one. */
  id?: string;
  /** Signup auto-confirms; the admin API confirms only with email_confirm. */
  confirmed: boolean;
  /** An invited user: `invited_at` is set, and the email is confirmed when the invitation is accepted. */
  invited?: boolean;
  /** More app_metadata (the admin API's), over the email provider's. */
  appData?: Json;
  /** The error a taken email gets: signup's user_already_exists, the admin API's email_exists. */
  taken: () => Error;
  /** Signup merges the email identity's claims into user_metadata; the admin API keeps exactly what it is given. */
  identityClaims: boolean;
}

/**
 * Inserts an email user; the auth.users trigger creates its profile. user_metadata is `data`, plus the email
 * identity's claims where GoTrue merges them (signup).
 */
export async function createEmailUser(sql: postgres.Sql, user: NewUser): Promise<UserRow> {
  const id = user.id ?? crypto.randomUUID();
  const appMetadata = sql.json({ ...EMAIL_APP_METADATA, ...user.appData } as postgres.JSONValue);
  const claims = { sub: id, email: user.email, email_verified: user.confirmed, phone_verified: false };
  const userMetadata = sql.json({ ...user.data, ...(user.identityClaims ? claims : {}) } as postgres.JSONValue);
  const [row] = await sql<UserRow[]>`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', ${id}, 'authenticated', 'authenticated', ${user.email},
            ${user.passwordHash ?? ""}, ${user.confirmed ? new Date() : null}, ${user.invited ? new Date() : null},
            ${appMetadata}, ${userMetadata}, now(), now())
    on conflict (email) where is_sso_user = false do nothing
    returning *`;
  if (!row) throw user.taken();
  return row;
}

/** Records a sign-in (password grant or signup), as GoTrue does when it issues a session. */
export async function touchLastSignIn(sql: postgres.Sql, user: UserRow): Promise<UserRow> {
  const [row] = await sql<UserRow[]>`
    update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${user.id} returning *`;
  return row;
}

export interface UserChanges {
  email?: string;
  passwordHash?: string;
  /** Merged into user_metadata key by key; a null value removes its key (GoTrue's UpdateUserMetaData). */
  data?: Json;
  /** Merged into app_metadata the same way (the admin API). */
  appData?: Json;
  /** Marks the email confirmed (the admin API's email_confirm). */
  confirmEmail?: boolean;
}

/** `base` with `changes` merged in key by key, a null value removing its key. */
function merged(base: Json | null, changes: Json | undefined): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

/**
 * Applies the changes of PUT /user or PUT /admin/users/{id}. A new email already taken by someone else is GoTrue's
 * 422 email_exists.
 */
export async function updateUser(sql: postgres.Sql, user: UserRow, changes: UserChanges): Promise<UserRow> {
  const metadata = merged(user.raw_user_meta_data, changes.data);
  if (changes.email) metadata.email = changes.email;
  const appMetadata = merged(user.raw_app_meta_data, changes.appData);
  const [row] = await sql<UserRow[]>`
    update auth.users set
      email = coalesce(${changes.email ?? null}, email),
      encrypted_password = coalesce(${changes.passwordHash ?? null}, encrypted_password),
      raw_user_meta_data = ${sql.json(metadata as postgres.JSONValue)},
      raw_app_meta_data = ${sql.json(appMetadata as postgres.JSONValue)},
      email_confirmed_at = case when ${changes.confirmEmail === true} then coalesce(email_confirmed_at, now())
                                else email_confirmed_at end,
      updated_at = now()
    where id = ${user.id} and not exists (
      select 1 from auth.users other where lower(other.email) = ${changes.email ?? null} and other.id <> ${user.id})
    returning *`;
  if (!row) throw emailTaken();
  return row;
}

/**
 * The user as GoTrue's JSON shows it. GoTrue keeps identities in auth.identities; the local stack has only
 * email users, so it derives the one email identity from the user row.
 */
export function userJson(user: UserRow): Json {
  const confirmedAt = user.email_confirmed_at?.toISOString();
  const identityData = { email: user.email, email_verified: true, phone_verified: false, sub: user.id };
  return {
    id: user.id,
    aud: user.aud ?? "",
    role: user.role ?? "",
    email: user.email ?? "",
    email_confirmed_at: confirmedAt,
    phone: "",
    confirmed_at: confirmedAt,
    invited_at: user.invited_at?.toISOString(),
    confirmation_sent_at: user.confirmation_sent_at?.toISOString(),
    recovery_sent_at: user.recovery_sent_at?.toISOString(),
    new_email: user.email_change || undefined,
    email_change_sent_at: user.email_change ? user.email_change_sent_at?.toISOString() : undefined,
    last_sign_in_at: user.last_sign_in_at?.toISOString(),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: [
      {
        identity_id: user.id,
        id: user.id,
        user_id: user.id,
        identity_data: identityData,
        provider: "email",
        last_sign_in_at: user.last_sign_in_at?.toISOString(),
        created_at: user.created_at?.toISOString(),
        updated_at: user.updated_at?.toISOString(),
        email: user.email,
      },
    ],
    created_at: user.created_at?.toISOString(),
    updated_at: user.updated_at?.toISOString(),
    is_anonymous: user.is_anonymous,
  };
}
