/** Supabase Edge Function entry point: serves the worker protocol app under Deno. */

import { serveFunction } from "../_shared/serve_function.ts";
import { newApp } from "./app.ts";
import { workersDeps } from "./deps.ts";

serveFunction(newApp(workersDeps(Deno.env.toObject())).fetch);
