/**
 * `npm run worker` (tsx worker/main.node.ts): the worker under Node. Node 20 has no global WebSocket, so the
 * `ws` package is the constructor the ComfyUI client and Realtime use (on every Node version: the tested one).
 */
import process from "node:process";
import WebSocket from "ws";
import { pinnedGet } from "./pinned_get.node.ts";
import { runWorkerProcess } from "./worker_process.ts";

await runWorkerProcess({
  name: `node ${process.versions.node}`,
  env: process.env,
  args: process.argv.slice(2),
  WebSocket,
  httpGet: pinnedGet,
  onSignal: (signal, handler) => process.on(signal, handler),
  write: (line, stream) => (stream === "stdout" ? process.stdout : process.stderr).write(`${line}\n`),
  exit: (code) => process.exit(code),
});
