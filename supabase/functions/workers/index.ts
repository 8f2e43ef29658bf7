/** Supabase Edge Function entry point: serves the worker protocol app under Deno. */

import { newApp } from "./app.ts";
import { workersDeps } from "./deps.ts";

Deno.serve(newApp(workersDeps(Deno.env.toObject())).fetch);
