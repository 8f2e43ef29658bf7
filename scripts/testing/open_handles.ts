/**
 * Loaded into every test process (scripts/test.ts), which the runner ends with --test-force-exit once its tests
 * are done: what was still holding the process open then (a server, a socket, a pool or a timer a test forgot) is
 * reported on stderr, naming the file, instead of hanging `npm test`. Handles that would not have kept the process
 * alive (unref'd timers, idle pooled sockets) are not reported.
 */
interface Handle {
  constructor?: { name?: string };
  hasRef?: () => boolean;
  /** Node marks the process's own stdin, stdout and stderr so. */
  _isStdio?: boolean;
}

process.on("exit", () => {
  const handles = (process as unknown as { _getActiveHandles(): Handle[] })._getActiveHandles();
  const holding = handles.filter((handle) => handle.hasRef?.() !== false && !handle._isStdio);
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
