/**
 * The local stack's auth as supabase-js sees it: signup, password and refresh grants, the user, logout, and
 * GoTrue's error codes. Each suite runs on the local stack and, when KILN_SUPABASE_* name one, on a real
 * `supabase start` stack, so the two are held to the same behaviour.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createClient, isAuthSessionMissingError, type SupabaseClient } from "@supabase/supabase-js";
import { decodeJwt } from "jose";
import postgres from "postgres";
import WebSocket from "ws";
import { type StackTarget, stackTargets } from "../../testing/test_stack.ts";
import { createUsers, signToken } from "../realtime/test_clients.ts";

for (const { name, start, skip } of stackTargets()) {
  describe(`auth (${name})`, { skip }, () => {
    let target: StackTarget;
    let sql: postgres.Sql;
    before(async () => {
      target = await start();
      sql = postgres(target.dbUrl, { max: 2, onnotice: () => {} });
    });
    after(async () => {
      await sql?.end({ timeout: 5 });
      await target?.stop();
    });

    // Node 20 has no global WebSocket, which supabase-js's Realtime client needs even when unused.
    const client = (): SupabaseClient =>
      createClient(target.url, target.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
        realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
      });
    const password = "correct horse battery";

    /** A new user signed in on a client of its own. */
    async function signedUp(data: Record<string, unknown> = {}) {
      const supabase = client();
      const email = `kiln-${randomUUID()}@example.test`;
      const { data: result, error } = await supabase.auth.signUp({ email, password, options: { data } });
      assert.equal(error, null);
      assert.ok(result.session && result.user);
      return { supabase, email, session: result.session, user: result.user };
    }

    /** Signs in again on a new client: another session of the same user. */
    async function signedIn(email: string, pass = password) {
      const supabase = client();
      const { data, error } = await supabase.auth.signInWithPassword({ email, password: pass });
      assert.equal(error, null);
      assert.ok(data.session);
      return { supabase, session: data.session };
    }

    it("signs up a confirmed user with a session, and the signup trigger grants its profile 3000 credits", async () => {
      const { session, user, email } = await signedUp({ display_name: "Ada" });
      assert.equal(session.token_type, "bearer");
      assert.equal(session.expires_in, 3600);
      assert.ok(Math.abs((session.expires_at ?? 0) - (Date.now() / 1000 + 3600)) < 60);
      assert.equal(user.email, email);
      assert.ok(user.email_confirmed_at);
      assert.equal(user.user_metadata.display_name, "Ada");
      assert.deepEqual(user.app_metadata, { provider: "email", providers: ["email"] });
      const [profile] = await sql`select credits from public.profiles where id = ${user.id}`;
      assert.equal(Number(profile.credits), 3000);
    });

    it("issues access tokens with Supabase's claims", async () => {
      const { session, user, email } = await signedUp();
      const claims = decodeJwt(session.access_token);
      assert.equal(claims.iss, `${target.url}/auth/v1`);
      assert.equal(claims.aud, "authenticated");
      assert.equal(claims.sub, user.id);
      assert.equal(claims.role, "authenticated");
      assert.equal(claims.email, email);
      assert.equal(claims.phone, "");
      assert.equal(claims.exp, session.expires_at);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
      assert.deepEqual(claims.app_metadata, { provider: "email", providers: ["email"] });
      assert.equal((claims.user_metadata as Record<string, unknown>).email, email);
      assert.match(String(claims.session_id), /^[0-9a-f-]{36}$/);
      assert.equal(claims.aal, "aal1");
      const amr = claims.amr as Array<{ method: string; timestamp: number }>;
      assert.equal(amr[0].method, "password");
      assert.ok(Math.abs(amr[0].timestamp - Date.now() / 1000) < 60);
      assert.equal(claims.is_anonymous, false);
    });

    it("refuses a taken email, a short password and a malformed email with GoTrue's codes", async () => {
      const { email } = await signedUp();
      const taken = await client().auth.signUp({ email, password });
      assert.equal(taken.error?.status, 422);
      assert.equal(taken.error?.code, "user_already_exists");
      const weak = await client().auth.signUp({ email: `kiln-${randomUUID()}@example.test`, password: "12345" });
      assert.equal(weak.error?.status, 422);
      assert.equal(weak.error?.code, "weak_password");
      assert.deepEqual((weak.error as { reasons?: string[] }).reasons, ["length"]);
      const malformed = await client().auth.signUp({ email: "not an email", password });
      assert.equal(malformed.error?.status, 400);
      assert.equal(malformed.error?.code, "validation_failed");
    });

    it("signs in with the password; a wrong password and an unknown email get the same refusal", async () => {
      const { email, user } = await signedUp();
      const { session } = await signedIn(email.toUpperCase());
      assert.equal(session.user.id, user.id);
      for (const attempt of [
        { email, password: "wrong password" },
        { email: `kiln-${randomUUID()}@example.test`, password },
      ]) {
        const { data, error } = await client().auth.signInWithPassword(attempt);
        assert.equal(data.session, null);
        assert.equal(error?.status, 400);
        assert.equal(error?.code, "invalid_credentials");
        assert.equal(error?.message, "Invalid login credentials");
      }
    });

    it("gets the user for its access token, and refuses a token it did not sign", async () => {
      const { supabase, session, user } = await signedUp();
      const { data, error } = await supabase.auth.getUser();
      assert.equal(error, null);
      assert.equal(data.user?.id, user.id);
      const claims = await supabase.auth.getClaims(session.access_token);
      assert.equal(claims.data?.claims.sub, user.id);
      const forged = `${session.access_token.slice(0, -4)}AAAA`;
      const refused = await client().auth.getUser(forged);
      assert.equal(refused.error?.status, 403);
      assert.equal(refused.error?.code, "bad_jwt");
    });

    it("updates user_metadata by merging, and the password, which ends the user's other sessions", async () => {
      const { supabase, email } = await signedUp({ display_name: "Ada", plan: "free" });
      const other = await signedIn(email);
      const merged = await supabase.auth.updateUser({ data: { plan: "pro", theme: "dark" } });
      assert.equal(merged.error, null);
      assert.equal(merged.data.user?.user_metadata.display_name, "Ada");
      assert.equal(merged.data.user?.user_metadata.plan, "pro");
      assert.equal(merged.data.user?.user_metadata.theme, "dark");

      const same = await supabase.auth.updateUser({ password });
      assert.equal(same.error?.code, "same_password");
      const changed = await supabase.auth.updateUser({ password: "a new passphrase" });
      assert.equal(changed.error, null);
      assert.equal((await supabase.auth.getUser()).error, null);
      assert.ok(isAuthSessionMissingError((await other.supabase.auth.getUser()).error));
      assert.equal((await client().auth.signInWithPassword({ email, password })).error?.code, "invalid_credentials");
      await signedIn(email, "a new passphrase");
    });

    it("rotates the refresh token; a used one is honoured for a lost answer, and refused as reuse later", async () => {
      const { supabase, session } = await signedUp();
      const first = await supabase.auth.refreshSession({ refresh_token: session.refresh_token });
      assert.equal(first.error, null);
      assert.ok(first.data.session);
      assert.notEqual(first.data.session.refresh_token, session.refresh_token);
      const sessionId = decodeJwt(session.access_token).session_id;
      assert.equal(decodeJwt(first.data.session.access_token).session_id, sessionId);

      // The client may have lost the answer: the parent of the active token gets that token again.
      const again = await client().auth.refreshSession({ refresh_token: session.refresh_token });
      assert.equal(again.data.session?.refresh_token, first.data.session.refresh_token);

      const second = await client().auth.refreshSession({ refresh_token: first.data.session.refresh_token });
      assert.equal(second.error, null);
      // Past the 10 s reuse interval (aged here instead of waited for), a used token is reuse.
      await sql`
        update auth.refresh_tokens set updated_at = now() - interval '1 minute'
        where session_id = ${String(sessionId)} and revoked`;
      const reused = await client().auth.refreshSession({ refresh_token: session.refresh_token });
      assert.equal(reused.data.session, null);
      assert.equal(reused.error?.status, 400);
      assert.equal(reused.error?.code, "refresh_token_already_used");
      assert.equal(reused.error?.message, "Invalid Refresh Token: Already Used");
      // Reuse revokes the whole session's tokens, the active one included.
      const live = await sql`select 1 from auth.refresh_tokens where session_id = ${String(sessionId)} and not revoked`;
      assert.equal(live.length, 0);
      const unknown = await client().auth.refreshSession({ refresh_token: "no-such-token" });
      assert.equal(unknown.error?.code, "refresh_token_not_found");
    });

    it("signs out: the session's refresh token and access token stop working", async () => {
      const { supabase, session } = await signedUp();
      assert.equal((await supabase.auth.signOut({ scope: "local" })).error, null);
      const refresh = await client().auth.refreshSession({ refresh_token: session.refresh_token });
      assert.equal(refresh.error?.status, 400);
      assert.equal(refresh.error?.code, "refresh_token_not_found");
      const user = await client().auth.getUser(session.access_token);
      assert.ok(isAuthSessionMissingError(user.error));
    });

    it("signs out other sessions only with scope others, and every session with scope global", async () => {
      const { supabase, email, session } = await signedUp();
      const other = await signedIn(email);
      const third = await signedIn(email);
      assert.equal((await supabase.auth.signOut({ scope: "others" })).error, null);
      assert.equal((await client().auth.getUser(session.access_token)).error, null);
      assert.ok(isAuthSessionMissingError((await client().auth.getUser(other.session.access_token)).error));
      assert.equal((await third.supabase.auth.refreshSession()).error?.code, "refresh_token_not_found");
      const fourth = await signedIn(email);
      assert.equal((await supabase.auth.signOut()).error, null);
      assert.ok(isAuthSessionMissingError((await client().auth.getUser(fourth.session.access_token)).error));
    });

    /** A client with the service key, for auth.admin. */
    const admin = () =>
      createClient(target.url, target.serviceRoleKey, {
        auth: { persistSession: false, autoRefreshToken: false },
        realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
      }).auth.admin;

    it("admin: creates a user who can sign in, gets, updates and lists it, and deletes it", async () => {
      const email = `kiln-admin-${randomUUID()}@example.test`;
      const created = await admin().createUser({
        email,
        password,
        email_confirm: true,
        user_metadata: { plan: "pro" },
        app_metadata: { team: "render" },
      });
      assert.equal(created.error, null);
      const user = created.data.user;
      assert.ok(user);
      assert.equal(user.email, email);
      assert.ok(user.email_confirmed_at);
      assert.deepEqual(user.user_metadata, { plan: "pro" }, "exactly what was given, as GoTrue's admin API keeps it");
      assert.deepEqual([user.app_metadata.provider, user.app_metadata.team], ["email", "render"]);
      const [profile] = await sql`select credits from public.profiles where id = ${user.id}`;
      assert.equal(Number(profile.credits), 3000, "the signup trigger ran");
      await signedIn(email);

      const again = await admin().createUser({ email, password });
      assert.equal(again.error?.code, "email_exists");
      assert.equal(again.error?.status, 422);

      const got = await admin().getUserById(user.id);
      assert.equal(got.data.user?.id, user.id);
      const updated = await admin().updateUserById(user.id, { user_metadata: { plan: null, seats: 3 } });
      assert.equal(updated.error, null);
      assert.deepEqual([updated.data.user?.user_metadata.plan, updated.data.user?.user_metadata.seats], [undefined, 3]);

      const page = await admin().listUsers({ page: 1, perPage: 1 });
      assert.equal(page.error, null);
      assert.equal(page.data.users.length, 1);
      assert.ok((page.data as { total?: number }).total ?? 0 >= 1);
      assert.equal((page.data as { nextPage?: number | null }).nextPage, 2);

      assert.equal((await admin().deleteUser(user.id)).error, null);
      const gone = await admin().getUserById(user.id);
      assert.equal(gone.error?.code, "user_not_found");
      assert.equal(gone.error?.status, 404);
      const [left] = await sql`select count(*)::int as n from public.profiles where id = ${user.id}`;
      assert.equal(left.n, 0, "the profile goes with the user");
    });

    it("admin: refuses a user's token (not_admin) and a malformed id", async () => {
      const { session } = await signedUp();
      const refused = await fetch(`${target.url}/auth/v1/admin/users`, {
        headers: {
          apikey: target.anonKey,
          authorization: `Bearer ${session.access_token}`,
          "x-supabase-api-version": "2024-01-01",
        },
      });
      assert.equal(refused.status, 403);
      assert.deepEqual(await refused.json(), { code: "not_admin", message: "User not allowed" });
      // supabase_admin is an admin role too (GoTrue's default GOTRUE_JWT_ADMIN_ROLES).
      const [supabaseAdmin] = await createUsers(target.dbUrl, target.url, 1);
      const asSupabaseAdmin = await fetch(`${target.url}/auth/v1/admin/users?per_page=1`, {
        headers: {
          apikey: target.anonKey,
          authorization: `Bearer ${await signToken(target.url, supabaseAdmin.id, 60, "supabase_admin")}`,
        },
      });
      assert.equal(asSupabaseAdmin.status, 200);
      // auth-js checks ids itself; the server refuses one that gets past a client all the same.
      const malformed = await fetch(`${target.url}/auth/v1/admin/users/not-a-uuid`, {
        headers: { apikey: target.anonKey, authorization: `Bearer ${target.serviceRoleKey}` },
      });
      assert.equal(malformed.status, 404);
      assert.equal(((await malformed.json()) as { error_code: string }).error_code, "validation_failed");
    });

    it("admin: a soft delete keeps the row (and the account's history) with deleted_at set and signs the user out", async () => {
      const { user, email, session } = await signedUp();
      assert.equal((await admin().deleteUser(user.id, true)).error, null);
      const [row] = await sql`select deleted_at, email from auth.users where id = ${user.id}`;
      assert.ok(row.deleted_at);
      assert.notEqual(row.email, email);
      const refresh = await client().auth.refreshSession({ refresh_token: session.refresh_token });
      assert.ok(refresh.error);
    });

    it("answers features a default supabase start leaves off with GoTrue's own refusals", async () => {
      const { supabase } = await signedUp();
      const mfa = await supabase.auth.mfa.enroll({ factorType: "totp" });
      assert.equal(mfa.error?.code, "mfa_totp_enroll_not_enabled");
      const sso = await client().auth.signInWithSSO({ domain: "example.test" });
      assert.equal(sso.error?.code, "saml_provider_disabled");
      const idToken = await client().auth.signInWithIdToken({ provider: "google", token: "not-a-real-id-token" });
      assert.equal(idToken.error?.code, "provider_disabled");
      assert.match(idToken.error?.message ?? "", /not enabled/);
      const link = await supabase.auth.linkIdentity({ provider: "google", options: { skipBrowserRedirect: true } });
      assert.equal(link.error?.message, "Manual linking is disabled");
      const identities = await supabase.auth.getUserIdentities();
      const first = identities.data?.identities[0];
      assert.ok(first);
      const unlink = await supabase.auth.unlinkIdentity(first);
      assert.equal(unlink.error?.code, "manual_linking_disabled");
      const oauth = await fetch(`${target.url}/auth/v1/authorize?provider=github`, {
        headers: { apikey: target.anonKey, "x-supabase-api-version": "2024-01-01" },
        redirect: "manual",
      });
      assert.equal(oauth.status, 400);
      assert.deepEqual(await oauth.json(), {
        code: "validation_failed",
        message: "Unsupported provider: provider is not enabled",
      });
    });
  });
}
