/**
 * Kiln's dashboard: a single-page app on what any frontend has (supabase-js for auth and Realtime, the api
 * function's URLs with the user's access token). Pages by the URL's hash: #playground, #jobs, #job/<id>, #keys,
 * #webhooks, #credits, #reference, and #admin for administrators.
 */
import { createClient, type Session, type SupabaseClient } from "@supabase/supabase-js";
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { apiClient } from "./api.ts";
import { type DashboardConfig, loadConfig } from "./config.ts";
import { Admin } from "./pages/admin.tsx";
import { Credits } from "./pages/credits.tsx";
import { JobPage } from "./pages/job.tsx";
import { Jobs } from "./pages/jobs.tsx";
import { Keys } from "./pages/keys.tsx";
import { Playground } from "./pages/playground.tsx";
import { Reference } from "./pages/reference.tsx";
import { SignIn } from "./pages/sign_in.tsx";
import { Webhooks } from "./pages/webhooks.tsx";
import type { Schema } from "./schema_form.tsx";

const PAGES = {
  playground: "Playground",
  jobs: "Jobs",
  keys: "API keys",
  webhooks: "Webhooks",
  credits: "Credits",
  reference: "API reference",
  admin: "Admin",
} as const;
type Page = keyof typeof PAGES | "job";

/** The page and its argument from the hash: `#job/<id>` → ["job", id]. */
function useRoute(): [Page, string] {
  const read = (): [Page, string] => {
    const [name, arg = ""] = location.hash.slice(1).split("/");
    return name in PAGES || name === "job" ? [name as Page, arg] : ["playground", ""];
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onHash = () => setRoute(read());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

function App({ config, supabase }: { config: DashboardConfig; supabase: SupabaseClient }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [document, setDocument] = useState<Schema>();
  const [role, setRole] = useState<string>();
  const [page, arg] = useRoute();
  const api = useMemo(
    () => apiClient(config.apiUrl, async () => (await supabase.auth.getSession()).data.session?.access_token),
    [],
  );
  useEffect(() => {
    void supabase.auth.getSession().then(({ data }) => setSession(data.session));
    const { data } = supabase.auth.onAuthStateChange((_event, next) => setSession(next));
    void fetch(`${config.apiUrl}/openapi.json`)
      .then((r) => r.json())
      .then(setDocument);
    return () => data.subscription.unsubscribe();
  }, []);
  const userId = session?.user.id;
  useEffect(() => {
    setRole(undefined);
    if (userId)
      void api.call<{ role: string }>("GET", "/v1/me").then(
        (me) => setRole(me.role),
        () => {},
      );
  }, [userId]);

  if (session === undefined) return <main>Loading…</main>;
  if (!session || !userId) return <SignIn supabase={supabase} />;
  const live = { api, supabase, userId };
  const needsDocument = (view: (document: Schema) => preact.JSX.Element) =>
    document ? view(document) : <main>Loading the API description…</main>;
  return (
    <>
      <header>
        <strong>Kiln</strong>
        <nav>
          {Object.entries(PAGES)
            .filter(([id]) => id !== "admin" || role === "admin")
            .map(([id, title]) => (
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
      {page === "playground" && needsDocument((d) => <Playground {...live} document={d} />)}
      {page === "jobs" && <Jobs {...live} />}
      {page === "job" && <JobPage key={arg} {...live} id={arg} />}
      {page === "keys" && <Keys api={api} />}
      {page === "webhooks" && needsDocument((d) => <Webhooks api={api} document={d} />)}
      {page === "credits" && <Credits {...live} />}
      {page === "reference" && needsDocument((d) => <Reference document={d} token={session.access_token} />)}
      {page === "admin" && role === "admin" && <Admin api={api} />}
    </>
  );
}

const config = await loadConfig();
const supabase = createClient(config.supabaseUrl, config.anonKey);
render(<App config={config} supabase={supabase} />, document.getElementById("app") as HTMLElement);
