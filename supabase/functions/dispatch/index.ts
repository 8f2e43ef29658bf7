/** Supabase Edge Function entry point: serves the dispatcher app under Deno. */

import { serveFunction } from "../_shared/serve_function.ts";
import { newApp } from "./app.ts";
import { dispatchDeps } from "./deps.ts";

serveFunction(newApp(dispatchDeps(Deno.env.toObject())).fetch);
