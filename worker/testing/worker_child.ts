/**
 * A worker as a child process, for the tests of what only a process shows: Deno (`deno run -A
 * worker/main.deno.ts`, with the Deno npm installs) or Node (`node --import tsx worker/main.node.ts`), with the
 * environment given, its output collected line by line, signals, and its exit code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { denoBinary } from "../../scripts/deno_binaries.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface WorkerChild {
  /** Every line it wrote so far, stdout and stderr interleaved. */
  lines: string[];
  /** The first line (so far or to come) matching `pattern`; rejects after `timeoutMs` or if the process exits. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or the signal's name) once it exits. */
  exited: Promise<number | string>;
  /** SIGKILL if still running, and wait for the exit. */
  kill(): Promise<void>;
}

export function startWorkerChild(
  runtime: "deno" | "node",
  env: Record<string, string>,
  args: string[] = [],
): WorkerChild {
  const command =
    runtime === "deno"
      ? [denoBinary("current"), ["run", "--allow-all", "--no-prompt", "worker/main.deno.ts", ...args]]
      : [process.execPath, ["--import", "tsx", "worker/main.node.ts", ...args]];
  const child: ChildProcess = spawn(command[0] as string, command[1] as string[], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = { stdout: "", stderr: "" };
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]?.on("data", (chunk: Buffer) => {
      const text = partial[stream] + chunk.toString();
      const parts = text.split("\n");
      partial = { ...partial, [stream]: parts.pop() ?? "" };
      lines.push(...parts);
      if (process.env.KILN_WORKER_LOG === "1") for (const l of parts) console.log(`[${runtime}] ${l}`);
      for (const wake of waiters) wake();
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      for (const stream of ["stdout", "stderr"] as const) if (partial[stream]) lines.push(partial[stream]);
      for (const wake of waiters) wake();
      resolve(code ?? signal ?? "unknown");
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    lines,
    exited,
    signal: (signal) => child.kill(signal),
    async kill() {
      if (!done) child.kill("SIGKILL");
      await exited;
    },
    line(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found !== undefined || done) {
            clearTimeout(timer);
            waiters.delete(check);
            if (found !== undefined) resolve(found);
            else reject(new Error(`exited without a line matching ${pattern}:\n${lines.slice(-20).join("\n")}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms:\n${lines.slice(-20).join("\n")}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
