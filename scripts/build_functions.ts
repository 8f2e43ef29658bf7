/**
 * `npm run build:functions`: bundles each Edge Function (supabase/functions/<name>/index.ts, with everything it
 * imports: _shared/, ../../shared and the npm packages) into one self-contained ES module,
 * supabase/functions/<name>/dist/index.js. config.toml names that file as the entrypoint, so `supabase start` and
 * `supabase functions deploy` upload exactly it and never resolve an import outside the function's folder; the
 * Deno 2.1.4 suite (edge_runtime.test.ts) boots the same files.
 *
 * Built with esbuild rather than `deno bundle` (absent from Deno 2.1.4, and without a way to inject): Node
 * built-ins stay `node:` imports, and the Node globals that npm code uses come from explicit imports
 * (_shared/node_globals.ts), since the Edge Runtime gives those globals only to code under node_modules/.
 */
import { statSync } from "node:fs";
import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));
const functionsDir = `${root}supabase/functions`;

/** Bare Node built-in names (`crypto`, `dns/promises`) and `node:` ones stay imports of the runtime's `node:` modules. */
const nodeBuiltins: Plugin = {
  name: "node-builtins",
  setup(b) {
    const bare = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_/:]+$/ }, ({ path }) => {
      if (path.startsWith("node:")) return { path, external: true };
      return bare.has(path) ? { path: `node:${path}`, external: true } : undefined;
    });
  },
};

/** The functions: every folder of supabase/functions with an index.ts, except _shared. */
export async function functionNames(): Promise<string[]> {
  const entries = await readdir(functionsDir, { withFileTypes: true });
  return entries
    .filter((d) => d.isDirectory() && !d.name.startsWith("_"))
    .filter((d) => statSync(`${functionsDir}/${d.name}/index.ts`, { throwIfNoEntry: false }))
    .map((d) => d.name)
    .sort();
}

/** The bundle `supabase functions deploy` uploads for `name` (config.toml's entrypoint). */
export function bundlePath(name: string): string {
  return `${functionsDir}/${name}/dist/index.js`;
}

/** Builds one function's bundle; returns its path and size in bytes. */
export async function buildFunction(name: string): Promise<{ path: string; bytes: number }> {
  const outfile = bundlePath(name);
  const { outputFiles } = await build({
    entryPoints: [`${functionsDir}/${name}/index.ts`],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    // What Deno itself resolves npm packages with.
    conditions: ["deno", "node", "import", "default"],
    mainFields: ["module", "main"],
    inject: [`${functionsDir}/_shared/node_globals.ts`],
    plugins: [nodeBuiltins],
    banner: { js: `// Kiln Edge Function "${name}", built by \`npm run build:functions\`: do not edit.` },
    legalComments: "none",
    logLevel: "warning",
    write: false,
  });
  // Written whole, then renamed over the old file: a Deno starting on it meanwhile reads one or the other.
  const [output] = outputFiles;
  const temporary = `${outfile}.${process.pid}.tmp`;
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(temporary, output.contents);
  await rename(temporary, outfile);
  return { path: outfile, bytes: output.contents.byteLength };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of await functionNames()) {
    const { path, bytes } = await buildFunction(name);
    console.log(`bundled ${name} → ${path.slice(root.length)} (${(bytes / 1024).toFixed(0)} KiB)`);
  }
}
