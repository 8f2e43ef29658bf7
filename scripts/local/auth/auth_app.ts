/** GoTrue-compatible subset for supabase-js (to be built). */
import { Hono } from "hono";
import type { StackContext } from "../stack_context.ts";

export function authApp(_ctx: StackContext): Hono {
  const app = new Hono();
  app.all("*", (c) => c.json({ code: 501, error_code: "not_implemented", msg: "not implemented yet" }, 501));
  return app;
}
