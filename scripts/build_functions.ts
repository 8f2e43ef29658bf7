/**
 * `npm run build:functions`: bundles each Edge Function (supabase/functions/<name>/index.ts, with everything it
 * imports: ../../shared and the npm packages) into one self-contained file, supabase/functions/<name>/dist/index.js,
 * with `deno bundle`. config.toml names that file as the entrypoint, so `supabase start` and
 * `supabase functions deploy` (with Docker or --use-api) never have to resolve an import outside the function's folder.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const deno = `${root}node_modules/.bin/deno`;
const names = readdirSync(`${root}supabase/functions`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${root}supabase/functions/${d.name}/index.ts`))
  .map((d) => d.name);
for (const name of names) {
  const out = `supabase/functions/${name}/dist/index.js`;
  const result = spawnSync(
    deno,
    ["bundle", "--quiet", "--platform=deno", "-o", out, `supabase/functions/${name}/index.ts`],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
  console.log(`bundled ${name} → ${out}`);
}
