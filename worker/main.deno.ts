/**
 * `deno task worker` (deno run -A worker/main.deno.ts): the worker under Deno, whose global WebSocket the
 * ComfyUI client and Realtime use.
 */
import { fetchGet } from "./input_fetch.ts";
import { runWorkerProcess } from "./worker_process.ts";

const encoder = new TextEncoder();

await runWorkerProcess({
  name: `deno ${Deno.version.deno}`,
  env: Deno.env.toObject(),
  args: [...Deno.args],
  WebSocket: globalThis.WebSocket,
  // Deno's fetch has no resolver hook: input URLs are checked, then fetched by name (input_fetch.ts says what remains).
  httpGet: fetchGet,
  onSignal: (signal, handler) => {
    try {
      Deno.addSignalListener(signal, handler);
    } catch {
      // Windows has no SIGTERM; Ctrl-C (SIGINT) still drains.
    }
  },
  write: (line, stream) => (stream === "stdout" ? Deno.stdout : Deno.stderr).writeSync(encoder.encode(`${line}\n`)),
  exit: (code) => Deno.exit(code),
});
