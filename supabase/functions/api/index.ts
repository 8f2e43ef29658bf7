/** Supabase Edge Function entry point: serves the API app under Deno. */

import { newApp } from "./app.ts";
import { apiDeps } from "./deps.ts";

Deno.serve(newApp(apiDeps(Deno.env.toObject())).fetch);
