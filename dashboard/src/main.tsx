/**
 * Kiln's dashboard: a single-page app on what any frontend has (supabase-js for auth and Realtime, the api
 * function's URLs with the user's access token). Pages by the URL's hash: #playground, #jobs, #keys.
 */
import { createClient, type Session, type SupabaseClient } from "@supabase/supabase-js";
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { apiClient } from "./api.ts";
import { type DashboardConfig, loadConfig } from "./config.ts";
import { Jobs } from "./pages/jobs.tsx";
import { Keys } from "./pages/keys.tsx";
import { Playground } from "./pages/playground.tsx";
import { SignIn } from "./pages/sign_in.tsx";
import type { Schema } from "./schema_form.tsx";

const PAGES = { playground: "Playground", jobs: "Jobs", keys: "API keys" } as const;
type Page = keyof typeof PAGES;

function usePage(): Page {
  const read = () => (location.hash.slice(1) in PAGES ? (location.hash.slice(1) as Page) : "playground");
  const [page, setPage] = useState<Page>(read);
  useEffect(() => {
    const onHash = () => setPage(read());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return page;
}

function App({ config, supabase }: { config: DashboardConfig; supabase: SupabaseClient }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [document, setDocument] = useState<Schema>();
  const page = usePage();
  useEffect(() => {
    void supabase.auth.getSession().then(({ data }) => setSession(data.session));
    const { data } = supabase.auth.onAuthStateChange((_event, next) => setSession(next));
    void fetch(`${config.apiUrl}/openapi.json`)
      .then((r) => r.json())
      .then(setDocument);
    return () => data.subscription.unsubscribe();
  }, []);
  const api = useMemo(
    () => apiClient(config.apiUrl, async () => (await supabase.auth.getSession()).data.session?.access_token),
    [],
  );
  if (session === undefined) return <main>Loading…</main>;
  if (!session) return <SignIn supabase={supabase} />;
  const userId = session.user.id;
  return (
    <>
      <header>
        <strong>Kiln</strong>
        <nav>
          {Object.entries(PAGES).map(([id, title]) => (
            <a key={id} href={`#${id}`} aria-current={page === id ? "page" : undefined}>
              {title}
            </a>
          ))}
        </nav>
        <span>{session.user.email}</span>
        <button type="button" onClick={() => void supabase.auth.signOut()}>
          Sign out
        </button>
      </header>
      {page === "playground" &&
        (document ? (
          <Playground api={api} supabase={supabase} userId={userId} document={document} />
        ) : (
          <main>Loading the API description…</main>
        ))}
      {page === "jobs" && <Jobs api={api} supabase={supabase} userId={userId} />}
      {page === "keys" && <Keys api={api} />}
    </>
  );
}

const config = await loadConfig();
const supabase = createClient(config.supabaseUrl, config.anonKey);
render(<App config={config} supabase={supabase} />, document.getElementById("app") as HTMLElement);
