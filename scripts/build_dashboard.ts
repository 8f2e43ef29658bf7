/**
 * `npm run build:dashboard`: the dashboard as a static site in dashboard/dist, deployable to any static host,
 * with its `config.json` written from the environment: KILN_DASHBOARD_SUPABASE_URL (else SUPABASE_URL), the anon
 * or publishable key KILN_DASHBOARD_ANON_KEY (else SUPABASE_ANON_KEY), and KILN_DASHBOARD_API_URL (else
 * `<supabase url>/functions/v1/api`). `npm start` serves the same build with a config.json of its own.
 */
import { readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "vite";

export const DASHBOARD_ROOT = fileURLToPath(new URL("../dashboard/", import.meta.url));
export const DASHBOARD_DIST = `${DASHBOARD_ROOT}dist`;

/**
 * Builds the site into dashboard/dist (without a config.json). It is built beside it and then moved into place, so
 * a server reading dist (npm start, a test) never sees half a build, and two builds at once each land whole.
 */
export async function buildDashboard(): Promise<void> {
  const staging = `${DASHBOARD_DIST}.${process.pid}.${Date.now()}`;
  await build({ configFile: `${DASHBOARD_ROOT}vite.config.ts`, logLevel: "warn", build: { outDir: staging } });
  for (;;) {
    const previous = `${staging}.previous`;
    await rename(DASHBOARD_DIST, previous).catch(ignoreMissing);
    try {
      await rename(staging, DASHBOARD_DIST);
      await rm(previous, { recursive: true, force: true });
      return;
    } catch (error) {
      // Another build moved its own into place in between: take its place again.
      if (!["ENOTEMPTY", "EEXIST"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
    }
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== "ENOENT") throw error;
}

/** Whether dashboard/dist was built after every source of the site last changed (npm start rebuilds otherwise). */
export async function dashboardBuildIsCurrent(): Promise<boolean> {
  const built = await stat(`${DASHBOARD_DIST}/index.html`).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  if (built === undefined) return false;
  const sources = [
    `${DASHBOARD_ROOT}index.html`,
    `${DASHBOARD_ROOT}vite.config.ts`,
    ...(await readdir(`${DASHBOARD_ROOT}src`, { recursive: true })).map((f) => `${DASHBOARD_ROOT}src/${f}`),
  ];
  for (const source of sources) if ((await stat(source)).mtimeMs > built) return false;
  return true;
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
