/** Supabase Storage-compatible subset for storage-js (to be built). */
import { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";

export function storageApp(_ctx: StackContext): Hono {
  const app = new Hono();
  app.all("*", (c) => c.json({ statusCode: "501", error: "not_implemented", message: "not implemented yet" }, 501));
  return app;
}
