/**
 * What the client's tests share: an io that collects what the client writes, main.ts run as a process, the
 * client's environment for a test user on the local stack, and output PNGs with bytes of their own.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ApiHarness, TestUser } from "../../../supabase/functions/api/testing/api_harness.ts";
import { TINY_PNG } from "../../../supabase/functions/api/testing/job_fixtures.ts";
import type { CliIo } from "../cli_io.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** An io that collects what the client writes; stdout is not a TTY, so progress comes as lines. */
export function memoryIo(env: Record<string, string | undefined>, cwd: string) {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    cwd,
  };
  return { io, out: () => out, err: () => err };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npx tsx scripts/cli/main.ts <args>` with `env` added; resolves with its exit code and output. */
export function spawnCli(args: string[], env: Record<string, string | undefined>): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["tsx", "scripts/cli/main.ts", ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    // npx may warn about the machine's npm configuration; that is not the client's output.
    const withoutNpm = (text: string) => text.replace(/^npm warn .*\n/gm, "");
    child.on("close", (code) => resolve({ code, stdout: withoutNpm(stdout), stderr: withoutNpm(stderr) }));
  });
}

/**
 * The client's environment for `user` on the harness's stack: a new API key with jobs:read and jobs:write, and
 * a config folder of its own under `dir` (so no stored session unless the test logs in).
 */
export async function cliEnv(
  h: ApiHarness,
  user: TestUser,
  dir: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    KILN_API_URL: `${h.target.url}/functions/v1/api`,
    KILN_API_KEY: await h.apiKey(user, ["jobs:read", "jobs:write"]),
    SUPABASE_URL: h.target.url,
    SUPABASE_ANON_KEY: h.target.anonKey,
    KILN_CONFIG_DIR: await mkdtemp(join(dir, "config-")),
    ...extra,
  };
}

/** A PNG whose bytes are the caller's own (data after IEND is ignored by decoders). */
export const uniquePng = () => Uint8Array.from(Buffer.concat([TINY_PNG, randomBytes(64)]));
