/**
 * The dashboard as a browser gets it. Bundle size: the files index.html loads before anything paints (the entry's
 * JavaScript and CSS, gzip level 9 as static hosts serve them), apart from the chunks loaded later (the API
 * reference). First contentful paint: Chromium's own `first-contentful-paint` entry for /dashboard/ served by the
 * local stack, in a fresh browser context per load (nothing cached), then with the cache warm.
 */
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext } from "playwright-core";
import { buildDashboard, DASHBOARD_DIST } from "../build_dashboard.ts";
import { startStack } from "../local/stack.ts";
import { chromiumMissing, launchChromium } from "../testing/chromium.ts";
import type { BenchRow, BenchSection } from "./report.ts";
import { formatMs, percentile } from "./stats.ts";

const LOADS = 7;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const gzipped = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;

/** The entry's assets (what index.html names) and every other emitted chunk, gzip sizes in bytes. */
function bundleSizes(): { entry: number; entryRaw: number; lazy: number } {
  const html = readFileSync(`${DASHBOARD_DIST}/index.html`, "utf8");
  const named = [...html.matchAll(/(?:src|href)="(?:\.\/|\/dashboard\/)?(assets\/[^"]+)"/g)].map((m) => m[1]);
  const assets = readdirSync(`${DASHBOARD_DIST}/assets`).map((f) => `assets/${f}`);
  const sum = (files: string[], size: (path: string) => number) =>
    files.reduce((total, f) => total + size(`${DASHBOARD_DIST}/${f}`), 0);
  const code = (f: string) => /\.(js|css)$/.test(f);
  return {
    entry: sum(named, gzipped),
    entryRaw: sum(named, (p) => readFileSync(p).length),
    lazy: sum(
      assets.filter((f) => code(f) && !named.includes(f)),
      gzipped,
    ),
  };
}

interface Load {
  /** Chromium's first-contentful-paint, ms from navigation start. */
  fcp: number;
  /** When the sign-in form's Email field was there, ms from navigation start. */
  ready: number;
}

/** One load of the sign-in page, in a fresh context or in `reuse` (its cache warm). */
async function load(browser: Browser, url: string, reuse?: BrowserContext): Promise<Load> {
  const context = reuse ?? (await browser.newContext());
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.getByLabel("Email").waitFor();
    const ready = await page.evaluate(() => performance.now());
    await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0);
    const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0].startTime);
    return { fcp, ready };
  } finally {
    await page.close();
    if (!reuse) await context.close();
  }
}

export const dashboardSection: BenchSection = {
  name: "dashboard",
  title: `the dashboard's bundle and first contentful paint in Chromium (${LOADS} loads cold, ${LOADS} warm)`,
  async run(ctx) {
    await buildDashboard();
    const size = bundleSizes();
    const rows: BenchRow[] = [
      {
        benchmark: "dashboard bundle size (gzip)",
        result: `${kb(size.entry)} entry JS+CSS (${kb(size.entryRaw)} raw); API reference ${kb(size.lazy)}, loaded on its page`,
        target: "—",
      },
    ];
    if (chromiumMissing) {
      rows.push({ benchmark: "dashboard first contentful paint (local stack)", result: chromiumMissing, target: "—" });
      return rows;
    }
    const stack = await startStack({ port: 0, databaseUrl: ctx.url });
    const browser = await launchChromium();
    try {
      const url = `${stack.url}/dashboard/`;
      const cold: Load[] = [];
      for (let i = 0; i < LOADS; i++) cold.push(await load(browser, url));
      const context = await browser.newContext();
      await load(browser, url, context);
      const warm: Load[] = [];
      for (let i = 0; i < LOADS; i++) warm.push(await load(browser, url, context));
      await context.close();
      const p50 = (loads: Load[], key: keyof Load) =>
        formatMs(
          percentile(
            loads.map((l) => l[key]),
            50,
          ),
        );
      rows.push({
        benchmark: "dashboard first contentful paint (local stack)",
        result:
          `p50 ${p50(cold, "fcp")} cold, ${p50(warm, "fcp")} cached; ` +
          `sign-in form ready ${p50(cold, "ready")} cold, ${p50(warm, "ready")} cached`,
        target: "—",
      });
    } finally {
      await browser.close();
      await stack.stop();
    }
    return rows;
  },
};
