/**
 * The dashboard under `npm start`, at /dashboard/: the built site (dashboard/dist) and a config.json pointing it
 * at this stack. A missing build answers how to make one.
 */
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { Hono } from "hono";
import { DASHBOARD_DIST } from "../build_dashboard.ts";
import type { StackContext } from "./stack_context.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

export function dashboardApp(ctx: StackContext): Hono {
  const app = new Hono();
  app.get("/config.json", (c) =>
    c.json({ supabaseUrl: ctx.publicUrl, anonKey: ctx.keys.anonKey, apiUrl: `${ctx.publicUrl}/functions/v1/api` }),
  );
  app.get("/*", async (c) => {
    const root = normalize(DASHBOARD_DIST + sep);
    const wanted = decodeURIComponent(c.req.path.replace(/^\/dashboard\/?/, "")) || "index.html";
    const path = normalize(join(root, wanted));
    if (!path.startsWith(root)) return c.json({ error: "Not found" }, 404);
    try {
      const body = await readFile(path);
      return c.body(body, 200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
    } catch {
      return wanted === "index.html"
        ? c.json({ error: "The dashboard is not built: run npm run build:dashboard" }, 404)
        : c.json({ error: "Not found" }, 404);
    }
  });
  return app;
}
