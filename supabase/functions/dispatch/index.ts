/** Supabase Edge Function entry point: serves the dispatcher app under Deno. */

import { newApp } from "./app.ts";
import { dispatchDeps } from "./deps.ts";

Deno.serve(newApp(dispatchDeps(Deno.env.toObject())).fetch);
