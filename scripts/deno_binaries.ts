/**
 * The two Deno versions npm installs (package.json devDependencies), called by path: both packages name their bin
 * `deno`, so node_modules/.bin/deno is whichever npm linked last and no script relies on it.
 * - `current`: the `deno` package, a recent Deno, for `deno check`, the worker under Deno and the current-Deno suites.
 * - `edge`: `deno-edge-runtime` (npm:deno@2.1.4), the Deno the hosted Supabase Edge Runtime (v1.74) is built on;
 *   the built function bundles are booted on it, as deployed.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const require = createRequire(`${root}package.json`);

export type DenoVersion = "current" | "edge";
const packages: Record<DenoVersion, string> = { current: "deno", edge: "deno-edge-runtime" };

/**
 * The path of that Deno's executable. The package's own installer finds it in the platform package (and links
 * it beside itself the first time), as its bin script would, without a Node process in between.
 */
export function denoBinary(version: DenoVersion = "current"): string {
  const installer = require(`${packages[version]}/install_api.cjs`) as { runInstall(): string };
  return installer.runInstall();
}
