/**
 * Type-checks, under Deno, what Deno runs in production: the code in shared/ and the entry points of the
 * Edge Functions (supabase/functions/<name>/index.ts) and of the worker (worker/main.deno.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { denoBinary } from "./deno_binaries.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const functions = readdirSync(`${root}supabase/functions`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${root}supabase/functions/${d.name}/index.ts`))
  .map((d) => `supabase/functions/${d.name}/index.ts`);
const targets = ["shared/", ...functions, ...(existsSync(`${root}worker/main.deno.ts`) ? ["worker/main.deno.ts"] : [])];
const result = spawnSync(denoBinary("current"), ["check", ...targets], { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
