/**
 * The two Deno versions npm installs, called by path:
 * - `current`: the `deno` package (devDependencies), a recent Deno, for `deno check`, the worker under Deno and
 *   the current-Deno suites; its installer finds the platform's binary, as its bin script would.
 * - `edge`: Deno 2.1.4, the Deno the hosted Supabase Edge Runtime (v1.74) is built on, on which the built function
 *   bundles are booted. It is the Linux x64 binary package itself (`deno-edge-runtime` in optionalDependencies):
 *   the registry this project installs from lacks 2.1.4's other platform packages, so the wrapper package `deno@2.1.4`
 *   cannot be locked. Elsewhere npm skips it, and the suites that need it say so and skip.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const require = createRequire(`${root}package.json`);

export type DenoVersion = "current" | "edge";

/** Where Deno 2.1.4 is, or undefined on a platform npm skipped it on. */
function edgeBinary(): string | undefined {
  try {
    const path = `${dirname(require.resolve("deno-edge-runtime/package.json"))}/deno`;
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Why Deno 2.1.4 cannot run here, or false. */
export function edgeDenoMissing(): string | false {
  return edgeBinary() ? false : "Deno 2.1.4 (deno-edge-runtime) is installed on Linux x64 only";
}

/** The path of that Deno's executable. */
export function denoBinary(version: DenoVersion = "current"): string {
  if (version === "edge") {
    const path = edgeBinary();
    if (!path) throw new Error(edgeDenoMissing() as string);
    return path;
  }
  const installer = require("deno/install_api.cjs") as { runInstall(): string };
  return installer.runInstall();
}
