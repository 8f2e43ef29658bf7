/**
 * An Edge Function (the API, the workers) under real Deno, as Supabase runs it: `deno run` of its entry point
 * (index.ts, which calls Deno.serve), on a free loopback port (DENO_SERVE_ADDRESS), with the environment given.
 * For tests and the bench.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
/** The Deno that npm installs (package.json devDependencies), so no global install is needed. */
export const denoBinary = `${root}node_modules/.bin/deno`;

export interface DenoApi {
  /** http://127.0.0.1:<port>: the function's root (its routes are under /<name>). */
  url: string;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the function (`name`: api by default, or workers); rejects with Deno's output if it has not listened
 * within `timeoutMs`.
 */
export async function startDenoApi(env: Record<string, string>, timeoutMs = 60_000, name = "api"): Promise<DenoApi> {
  const child = spawn(denoBinary, ["run", "--allow-all", "--no-prompt", `supabase/functions/${name}/index.ts`], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0" },
    // stdout carries only the request log lines, which nobody here reads: to /dev/null, so reading them does not
    // take a share of the CPU (it cost the bench's Deno GET row ~30%). Deno says where it listens, and why it
    // failed, on stderr.
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`deno ${why}:\n${output.slice(-4000)}`));
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /Listening on (http:\/\/[\d.]+:\d+)\//.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stderr?.on("data", read);
    child.once("exit", (code) => fail(`exited with ${code}`));
  });
  // Warnings may keep coming; nobody reads them, but the pipe must not fill up.
  child.stderr?.resume();
  return { url, stop: () => stopChild(child) };
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
