/** Supabase Edge Function entry point: serves the API app under Deno. */
import { parseFunctionEnv } from "../../../shared/function_env.ts";
import { apiDeps, newApp } from "./app.ts";

Deno.serve(newApp(apiDeps(parseFunctionEnv(Deno.env.toObject()))).fetch);
