/** Supabase Edge Function entry point: serves the API app under Deno. */

import { serveFunction } from "../_shared/serve_function.ts";
import { newApp } from "./app.ts";
import { apiDeps } from "./deps.ts";

serveFunction(newApp(apiDeps(Deno.env.toObject())).fetch);
