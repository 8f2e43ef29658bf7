/**
 * Loaded into every test process (scripts/test.ts), which the runner ends with --test-force-exit once its tests
 * are done: what was still open then (a server, a socket, a pool a test forgot to close) is reported on stderr,
 * naming the file, instead of hanging `npm test`.
 */
const QUIET = new Set(["TTYWrap", "PipeWrap", "FSReqCallback", "FSReqPromise", "Immediate"]);

process.on("exit", () => {
  const open = process.getActiveResourcesInfo().filter((resource) => !QUIET.has(resource));
  if (open.length === 0) return;
  const counts = new Map<string, number>();
  for (const resource of open) counts.set(resource, (counts.get(resource) ?? 0) + 1);
  const file = process.argv.find((arg) => arg.endsWith(".test.ts")) ?? "a test file";
  const list = [...counts].map(([resource, n]) => `${resource} ×${n}`).join(", ");
  process.stderr.write(`open handles when ${file} ended: ${list}\n`);
});
