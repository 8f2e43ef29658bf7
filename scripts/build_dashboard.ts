/**
 * `npm run build:dashboard`: the dashboard as a static site in dashboard/dist, deployable to any static host,
 * with its `config.json` written from the environment: KILN_DASHBOARD_SUPABASE_URL (else SUPABASE_URL), the anon
 * or publishable key KILN_DASHBOARD_ANON_KEY (else SUPABASE_ANON_KEY), and KILN_DASHBOARD_API_URL (else
 * `<supabase url>/functions/v1/api`). `npm start` serves the same build with a config.json of its own.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "vite";

export const DASHBOARD_ROOT = fileURLToPath(new URL("../dashboard/", import.meta.url));
export const DASHBOARD_DIST = `${DASHBOARD_ROOT}dist`;

/** Builds the site into dashboard/dist (without a config.json). */
export async function buildDashboard(): Promise<void> {
  await build({ configFile: `${DASHBOARD_ROOT}vite.config.ts`, logLevel: "warn" });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const supabaseUrl = process.env.KILN_DASHBOARD_SUPABASE_URL ?? process.env.SUPABASE_URL;
  const anonKey = process.env.KILN_DASHBOARD_ANON_KEY ?? process.env.SUPABASE_ANON_KEY;
  await buildDashboard();
  if (supabaseUrl && anonKey) {
    const apiUrl = process.env.KILN_DASHBOARD_API_URL ?? `${supabaseUrl.replace(/\/+$/, "")}/functions/v1/api`;
    await writeFile(`${DASHBOARD_DIST}/config.json`, `${JSON.stringify({ supabaseUrl, anonKey, apiUrl }, null, 2)}\n`);
    console.log(`Built dashboard/dist for ${supabaseUrl}`);
  } else {
    console.log(
      "Built dashboard/dist; put a config.json beside index.html ({supabaseUrl, anonKey, apiUrl}) before deploying it.",
    );
  }
}
