/**
 * Where the dashboard finds Kiln: `config.json` next to the page (written by `npm run build:dashboard` from the
 * environment, served live by `npm start`), so one build runs against any project.
 */
export interface DashboardConfig {
  /** The project's URL (supabase-js). */
  supabaseUrl: string;
  /** The anon or publishable key: the only key the browser ever holds. */
  anonKey: string;
  /** The api function's URL, e.g. https://<ref>.supabase.co/functions/v1/api. */
  apiUrl: string;
}

export async function loadConfig(): Promise<DashboardConfig> {
  const response = await fetch("./config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  return (await response.json()) as DashboardConfig;
}
