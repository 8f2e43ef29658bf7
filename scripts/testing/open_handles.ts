/**
 * Loaded into every test process (scripts/test.ts), which the runner ends with --test-force-exit once its tests
 * are done: what was still holding the process open then (a listening server, a child process, a timer a test
 * forgot) is reported on stderr, naming the file, instead of hanging `npm test`. Sockets are left out: at exit a
 * client's keep-alive socket to a server that just closed is still in the list, and would be reported falsely.
 */
interface Handle {
  constructor?: { name?: string };
  hasRef?: () => boolean;
  /** Node marks the process's own stdin, stdout and stderr so. */
  _isStdio?: boolean;
  destroyed?: boolean;
  listening?: boolean;
  /** A child process that has exited (its pipes may still be closing). */
  exitCode?: number | null;
  signalCode?: string | null;
  _handle?: { hasRef?: () => boolean } | null;
}

/** Whether `handle` would have kept the process running: open, listening if a server, and not unref'd. */
function holdsOpen(handle: Handle): boolean {
  if (handle._isStdio || handle.destroyed === true || handle.listening === false) return false;
  if (handle.constructor?.name === "Socket") return false;
  if ((handle.exitCode ?? null) !== null || (handle.signalCode ?? null) !== null) return false;
  return handle.hasRef?.() ?? handle._handle?.hasRef?.() ?? true;
}

process.on("exit", () => {
  const handles = (process as unknown as { _getActiveHandles(): Handle[] })._getActiveHandles();
  const holding = handles.filter(holdsOpen);
  const counts = new Map<string, number>();
  for (const handle of holding) {
    const name = handle.constructor?.name ?? "handle";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (counts.size === 0) return;
  const file = process.argv.find((arg) => arg.endsWith(".test.ts")) ?? "a test file";
  const list = [...counts].map(([name, n]) => `${name} ×${n}`).join(", ");
  process.stderr.write(`open handles when ${file} ended: ${list}\n`);
});
