/**
 * Sign in or sign up with an email and a password (Supabase Auth); the session is kept by supabase-js. Where the
 * project confirms addresses first (a hosted project's default), sign-up says to follow the mailed link, which
 * comes back to this page signed in.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { useState } from "preact/hooks";

export function SignIn({ supabase }: { supabase: SupabaseClient }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string>();
  const act = async (how: "in" | "up") => {
    setBusy(true);
    setError(undefined);
    setSent(undefined);
    const { data, error: failure } =
      how === "in"
        ? await supabase.auth.signInWithPassword({ email, password })
        : await supabase.auth.signUp({ email, password, options: { emailRedirectTo: location.href.split("#")[0] } });
    setBusy(false);
    if (failure) setError(failure.message);
    else if (!data.session) setSent(email);
  };
  return (
    <main>
      <h1>Kiln</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act("in");
        }}
      >
        <label>
          <span>Email</span>
          <input type="email" autocomplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          <span>Password</span>
          <input
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {sent && <p role="status">Check {sent} for a link to confirm the address, then sign in.</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>{" "}
        <button type="button" disabled={busy} onClick={() => void act("up")}>
          Sign up
        </button>
      </form>
    </main>
  );
}
