/**
 * An Edge Function under real Deno, as a child process on a free loopback port (KILN_SERVE_PORT=0), with the
 * environment given. Two ways, for tests and the bench:
 * - `source`: `deno run` of its entry point (index.ts) on the current Deno, the development loop;
 * - `deployed`: its built bundle (dist/index.js, what `supabase functions deploy` uploads) on Deno 2.1.4, the
 *   Deno of the hosted Edge Runtime, with the permissions a function has there (network, env, reading its files;
 *   no subprocesses, no writes, no FFI) and no deno.json, which the platform does not read for a bundle either.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { denoBinary } from "../deno_binaries.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface DenoApi {
  /** http://127.0.0.1:<port>: the function's root (its routes are under /<name>). */
  url: string;
  /** Process id, for reading its CPU time. */
  pid: number;
  /** Everything it wrote on stderr so far (Deno's own messages; stdout, the request log, is dropped). */
  stderr(): string;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

export interface DenoFunctionOptions {
  /** The function (api by default). */
  name?: string;
  /** `source` (default) or `deployed`, as above. */
  as?: "source" | "deployed";
  /** Rejects if it has not listened by then (default 60 s). */
  timeoutMs?: number;
}

/** The command line each way runs. */
function commandLine(name: string, as: "source" | "deployed"): [string, string[]] {
  if (as === "source")
    return [denoBinary("current"), ["run", "--allow-all", "--no-prompt", `supabase/functions/${name}/index.ts`]];
  const folder = `supabase/functions/${name}`;
  return [
    denoBinary("edge"),
    [
      "run",
      "--no-prompt",
      "--no-config",
      "--allow-net",
      "--allow-env",
      "--allow-sys",
      `--allow-read=${folder}`,
      `${folder}/dist/index.js`,
    ],
  ];
}

/**
 * Starts the function; rejects with Deno's output if it has not listened within the timeout or exits first.
 * For `deployed`, build the bundle first (scripts/build_functions.ts).
 */
export async function startDenoFunction(
  env: Record<string, string>,
  options: DenoFunctionOptions = {},
): Promise<DenoApi> {
  const { name = "api", as = "source", timeoutMs = 60_000 } = options;
  const [binary, args] = commandLine(name, as);
  const child = spawn(binary, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, KILN_SERVE_PORT: "0" },
    // stdout carries only the request log lines, which nobody here reads: to /dev/null, so reading them does not
    // take a share of the CPU (it cost the bench's Deno GET row ~30%). Deno says where it listens, and why it
    // failed, on stderr.
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    // Bounded: warnings may keep coming, and the pipe must not fill up.
    output = (output + chunk.toString()).slice(-16_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`deno (${name}, ${as}) ${why}:\n${output.slice(-4000)}`));
    };
    const onData = () => {
      const found = /Listening on (http:\/\/[\d.]+:\d+)\//.exec(output);
      if (!found) return;
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      resolve(found[1]);
    };
    const onExit = (code: number | null) => fail(`exited with ${code}`);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
  return { url, pid: child.pid as number, stderr: () => output, stop: () => stopChild(child) };
}

/** The API (or `name`) from its source on the current Deno: the current-Deno suites' way. */
export function startDenoApi(env: Record<string, string>, timeoutMs = 60_000, name = "api"): Promise<DenoApi> {
  return startDenoFunction(env, { name, timeoutMs });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
