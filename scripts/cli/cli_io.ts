/**
 * What the command-line client touches outside itself, as one small object: where it writes, the environment
 * it reads, the folder it resolves paths against, and a signal that Ctrl-C raises. `processIo()` is the real
 * one; tests hand `runCli` their own to run the client in-process. Also the exit codes and the two errors that
 * end a command with one line: a usage mistake (exit 2) and a failure (exit 1).
 */

/** A stream the client writes to; `isTTY` and `columns` decide between a progress bar and plain lines. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** The environment the configuration comes from (process.env, or a test's own). */
  env: Record<string, string | undefined>;
  /** Relative paths (--image, --out) are resolved against this folder. */
  cwd: string;
  /** Aborted on Ctrl-C: a command that waits stops waiting (the job itself goes on). */
  signal?: AbortSignal;
}

/** Exit codes, documented in `kiln --help`. */
export const EXIT = {
  ok: 0,
  /** An API or network error, or outputs that could not be saved. */
  error: 1,
  /** Bad usage or a missing setting. */
  usage: 2,
  /** The job ended failed. */
  jobFailed: 3,
  /** The job ended canceled. */
  jobCanceled: 4,
  /** Ctrl-C while waiting (128 + SIGINT). */
  interrupted: 130,
} as const;

/** A mistake in how the client was called or configured: one line on stderr, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A setting in the environment that is missing or malformed: one line on stderr, exit 2. */
export class ConfigError extends UsageError {
  override name = "ConfigError";
}

/** A failure that is not the API's (a file that cannot be read, a download that broke): one line, exit 1. */
export class CliError extends Error {
  override name = "CliError";
}

/** The real process: stdout and stderr, process.env, the working folder, and Ctrl-C as an abort signal. */
export function processIo(): CliIo {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
}

/** Writes one line to stdout. */
export function say(io: CliIo, line = ""): void {
  io.stdout.write(`${line}\n`);
}

/** Writes one line to stderr. */
export function warn(io: CliIo, line: string): void {
  io.stderr.write(`${line}\n`);
}

/** Sleeps `ms`, ending early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
