/**
 * Auth by mail on the local stack, through supabase-js: sign-in links and codes, recovery, invitations, generated
 * links and email changes, each read from the local mail catcher and verified as an app would. Local only: a
 * `supabase start` delivers to a catcher of its own, with another API.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { decodeJwt } from "jose";
import postgres from "postgres";
import WebSocket from "ws";
import { type StackTarget, startLocalTarget } from "../../testing/test_stack.ts";
import type { Mail } from "./mailbox.ts";

describe("auth by mail (local mail catcher)", () => {
  let target: StackTarget;
  let sql: postgres.Sql;
  before(async () => {
    target = await startLocalTarget();
    sql = postgres(target.dbUrl, { max: 2, onnotice: () => {} });
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await target?.stop();
  });

  const clientWith = (key: string): SupabaseClient =>
    createClient(target.url, key, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
    });
  const client = () => clientWith(target.anonKey);
  const admin = () => clientWith(target.serviceRoleKey).auth.admin;
  const password = "correct horse battery";
  const newAddress = () => `kiln-mail-${randomUUID()}@example.test`;

  async function mails(to: string): Promise<Mail[]> {
    const response = await fetch(`${target.url}/mail/v1/messages?to=${encodeURIComponent(to)}`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { messages: Mail[] }).messages;
  }

  /** The one mail to `to` (newest first, so a second mail shows up as a failure here). */
  async function onlyMail(to: string): Promise<Mail> {
    const inbox = await mails(to);
    assert.equal(inbox.length, 1, `one mail to ${to}`);
    return inbox[0];
  }

  const amrMethod = (accessToken: string) => (decodeJwt(accessToken).amr as { method: string }[])[0].method;

  it("signs in a new address by code: the user is made, confirmed, with its profile, and its tokens say otp", async () => {
    const email = newAddress();
    const supabase = client();
    const sent = await supabase.auth.signInWithOtp({ email, options: { data: { display_name: "Ode" } } });
    assert.equal(sent.error, null);
    assert.deepEqual([sent.data.user, sent.data.session], [null, null]);
    const mail = await onlyMail(email);
    assert.equal(mail.subject, "Your Magic Link");
    assert.match(mail.otp, /^\d{6}$/);
    assert.ok(mail.text.includes(mail.otp) && mail.text.includes(mail.link));

    const verified = await supabase.auth.verifyOtp({ email, token: mail.otp, type: "email" });
    assert.equal(verified.error, null);
    const { session, user } = verified.data;
    assert.ok(session && user);
    assert.ok(user.email_confirmed_at);
    assert.equal(user.user_metadata.display_name, "Ode");
    assert.equal(amrMethod(session.access_token), "otp");
    const refreshed = await supabase.auth.refreshSession();
    assert.equal(
      amrMethod(refreshed.data.session?.access_token ?? ""),
      "otp",
      "refreshed tokens keep how the user signed in",
    );
    const [profile] = await sql`select credits from public.profiles where id = ${user.id}`;
    assert.equal(Number(profile.credits), 3000, "the signup trigger ran");

    const again = await client().auth.verifyOtp({ email, token: mail.otp, type: "email" });
    assert.equal(again.error?.code, "otp_expired", "a code works once");
    assert.equal(again.error?.status, 403);
  });

  it("follows a magic link to the app with the session in the fragment, once; a foreign redirect goes to the site", async () => {
    const email = newAddress();
    const app = "http://127.0.0.1:3000/welcome";
    assert.equal((await client().auth.signInWithOtp({ email, options: { emailRedirectTo: app } })).error, null);
    const { link } = await onlyMail(email);
    assert.equal(new URL(link).searchParams.get("redirect_to"), app);

    const followed = await fetch(link, { redirect: "manual" });
    assert.equal(followed.status, 303);
    const landing = new URL(followed.headers.get("location") ?? "");
    assert.equal(`${landing.origin}${landing.pathname}`, app);
    const fragment = new URLSearchParams(landing.hash.slice(1));
    assert.equal(fragment.get("type"), "magiclink");
    assert.equal(fragment.get("token_type"), "bearer");
    assert.ok(fragment.get("refresh_token"));
    const signedIn = await client().auth.getUser(fragment.get("access_token") ?? "");
    assert.equal(signedIn.data.user?.email, email);

    const spent = new URL((await fetch(link, { redirect: "manual" })).headers.get("location") ?? "");
    const refusal = new URLSearchParams(spent.hash.slice(1));
    assert.deepEqual(
      [refusal.get("error"), refusal.get("error_code"), refusal.get("error_description"), refusal.has("access_token")],
      ["access_denied", "otp_expired", "Email link is invalid or has expired", false],
    );

    const other = newAddress();
    await client().auth.signInWithOtp({ email: other, options: { emailRedirectTo: "https://evil.example/steal" } });
    const toSite = await fetch((await onlyMail(other)).link, { redirect: "manual" });
    assert.ok(toSite.headers.get("location")?.startsWith(`${target.url}#`), "only pages on this machine are allowed");
  });

  it("refuses a code for an unknown address with create_user false, and a second mail within a second", async () => {
    const unknown = await client().auth.signInWithOtp({ email: newAddress(), options: { shouldCreateUser: false } });
    assert.equal(unknown.error?.code, "otp_disabled");
    assert.equal(unknown.error?.status, 422);

    const email = newAddress();
    assert.equal((await client().auth.signInWithOtp({ email })).error, null);
    const soon = await client().auth.signInWithOtp({ email });
    assert.equal(soon.error?.code, "over_email_send_rate_limit");
    assert.equal(soon.error?.status, 429);
    assert.match(soon.error?.message ?? "", /^For security purposes, you can only request this after \d+ seconds\.$/);
    assert.equal((await mails(email)).length, 1);
  });

  it("recovers a password by link: unknown addresses get the same answer and no mail; spent and expired links fail", async () => {
    const nobody = newAddress();
    assert.equal((await client().auth.resetPasswordForEmail(nobody)).error, null);
    assert.deepEqual(await mails(nobody), []);

    const email = newAddress();
    assert.equal((await client().auth.signUp({ email, password })).error, null);
    assert.equal((await client().auth.resetPasswordForEmail(email)).error, null);
    const mail = await onlyMail(email);
    assert.equal(mail.subject, "Reset Your Password");
    const tokenHash = new URL(mail.link).searchParams.get("token") ?? "";
    const supabase = client();
    const verified = await supabase.auth.verifyOtp({ token_hash: tokenHash, type: "recovery" });
    assert.equal(verified.error, null);
    assert.equal((await supabase.auth.updateUser({ password: "a new passphrase" })).error, null);
    assert.equal((await client().auth.signInWithPassword({ email, password: "a new passphrase" })).error, null);
    const spent = await client().auth.verifyOtp({ token_hash: tokenHash, type: "recovery" });
    assert.equal(spent.error?.code, "otp_expired");

    // A link older than supabase start's otp_expiry (an hour) is refused.
    const again = newAddress();
    await client().auth.signUp({ email: again, password });
    await client().auth.resetPasswordForEmail(again);
    await sql`update auth.users set recovery_sent_at = now() - interval '61 minutes' where email = ${again}`;
    const { otp } = await onlyMail(again);
    const expired = await client().auth.verifyOtp({ email: again, token: otp, type: "recovery" });
    assert.equal(expired.error?.code, "otp_expired");
    assert.equal(expired.error?.message, "Token has expired or is invalid");
  });

  it("admin: invites by mail; the invitee signs in by the mailed code, confirmed; a confirmed user cannot be invited", async () => {
    const email = newAddress();
    const invited = await admin().inviteUserByEmail(email, { data: { team: "render" } });
    assert.equal(invited.error, null);
    assert.ok(invited.data.user?.invited_at);
    assert.equal(invited.data.user?.email_confirmed_at, undefined);
    const mail = await onlyMail(email);
    assert.equal(mail.subject, "You have been invited");
    const denied = await client().auth.signInWithPassword({ email, password });
    assert.equal(denied.error?.code, "invalid_credentials", "an invitee has no password");

    const verified = await client().auth.verifyOtp({ email, token: mail.otp, type: "invite" });
    assert.equal(verified.error, null);
    assert.ok(verified.data.user?.email_confirmed_at);
    assert.equal(verified.data.user?.user_metadata.team, "render");

    const twice = await admin().inviteUserByEmail(email);
    assert.equal(twice.error?.code, "email_exists");
    const asUser = await clientWith(target.anonKey).auth.admin.inviteUserByEmail(newAddress());
    assert.equal(asUser.error?.status, 403);
  });

  it("admin: generates links without sending mail; each verifies as its type", async () => {
    const email = newAddress();
    await client().auth.signUp({ email, password });
    const magic = await admin().generateLink({ type: "magiclink", email });
    assert.equal(magic.error, null);
    assert.equal(magic.data.user?.email, email);
    assert.equal(magic.data.properties?.verification_type, "magiclink");
    assert.ok(magic.data.properties?.action_link.startsWith(`${target.url}/auth/v1/verify?token=`));
    assert.deepEqual(await mails(email), [], "generate_link sends nothing");
    const signedIn = await client().auth.verifyOtp({
      email,
      token: magic.data.properties?.email_otp ?? "",
      type: "magiclink",
    });
    assert.equal(signedIn.error, null);

    const missing = await admin().generateLink({ type: "recovery", email: newAddress() });
    assert.equal(missing.error?.code, "user_not_found");
    assert.equal(missing.error?.status, 404);

    const newcomer = newAddress();
    const signup = await admin().generateLink({ type: "signup", email: newcomer, password });
    assert.equal(signup.error, null);
    assert.equal(signup.data.user?.email_confirmed_at, undefined, "unconfirmed until the link is followed");
    const confirmed = await client().auth.verifyOtp({
      token_hash: signup.data.properties?.hashed_token ?? "",
      type: "signup",
    });
    assert.equal(confirmed.error, null);
    assert.ok(confirmed.data.user?.email_confirmed_at);
    assert.equal((await client().auth.signInWithPassword({ email: newcomer, password })).error, null);
  });

  it("changes the email only once a mailed code is verified, and resends the pending change's mails", async () => {
    const email = newAddress();
    const supabase = client();
    await supabase.auth.signUp({ email, password });
    const taken = newAddress();
    await client().auth.signUp({ email: taken, password });
    assert.equal((await supabase.auth.updateUser({ email: taken })).error?.code, "email_exists");

    const next = newAddress();
    const pending = await supabase.auth.updateUser({ email: next });
    assert.equal(pending.error, null);
    assert.equal(pending.data.user?.email, email, "unchanged until confirmed");
    assert.equal(pending.data.user?.new_email, next);
    assert.equal((await onlyMail(next)).subject, "Confirm Email Change");
    assert.equal((await onlyMail(email)).subject, "Confirm Email Change");

    const confirmedSignup = await client().auth.resend({ type: "signup", email });
    assert.equal(confirmedSignup.error, null);
    assert.equal((await mails(email)).length, 1, "a confirmed signup has nothing to resend");

    // A resend within max_frequency (1 s) is refused; one after it mails both addresses again, with new codes.
    await sql`update auth.users set email_change_sent_at = now() - interval '2 seconds' where email = ${email}`;
    assert.equal((await client().auth.resend({ type: "email_change", email })).error, null);
    const [latest, first] = await mails(next);
    assert.ok(first && latest.otp !== first.otp);
    assert.equal((await mails(email)).length, 2);
    const stale = await client().auth.verifyOtp({ email: next, token: first.otp, type: "email_change" });
    assert.equal(stale.error?.code, "otp_expired", "the resend replaced the first codes");

    const changed = await client().auth.verifyOtp({ email: next, token: latest.otp, type: "email_change" });
    assert.equal(changed.error, null);
    assert.equal(changed.data.user?.email, next);
    assert.equal(changed.data.user?.new_email, undefined);
    assert.equal((await client().auth.signInWithPassword({ email: next, password })).error, null);
    assert.equal((await client().auth.signInWithPassword({ email, password })).error?.code, "invalid_credentials");
  });

  it("mails a reauthentication code to a signed-in user; a caller with no user is refused as GoTrue refuses", async () => {
    const email = newAddress();
    const supabase = client();
    await supabase.auth.signUp({ email, password });
    const sent = await supabase.auth.reauthenticate();
    assert.equal(sent.error, null);
    assert.deepEqual([sent.data.user, sent.data.session], [null, null]);
    const mail = await onlyMail(email);
    assert.deepEqual([mail.subject, mail.link], ["Confirm reauthentication", ""]);
    assert.match(mail.otp, /^\d{6}$/);
    const [row] =
      await sql`select reauthentication_token, reauthentication_sent_at from auth.users where email = ${email}`;
    assert.ok(row.reauthentication_token && row.reauthentication_sent_at, "stored hashed, as GoTrue stores it");
    assert.notEqual(row.reauthentication_token, mail.otp);
    // A token that names no user (the anon key): GoTrue's 400, worded as GoTrue words it.
    const anonymous = await fetch(`${target.url}/auth/v1/reauthenticate`, {
      headers: {
        apikey: target.anonKey,
        authorization: `Bearer ${target.anonKey}`,
        "x-supabase-api-version": "2024-01-01",
      },
    });
    assert.equal(anonymous.status, 400);
    assert.deepEqual(await anonymous.json(), {
      code: "validation_failed",
      message: "Reauthentication requires the user to have an email or a phone number",
    });
  });

  it("the mail catcher can be emptied", async () => {
    const email = newAddress();
    await client().auth.signInWithOtp({ email });
    assert.equal((await mails(email)).length, 1);
    assert.equal((await fetch(`${target.url}/mail/v1/messages`, { method: "DELETE" })).status, 204);
    assert.deepEqual(await mails(email), []);
  });
});
