/**
 * The worker as a process, the same under Node and Deno: the runtime's differences (environment, arguments,
 * signals, exit, output, the WebSocket constructor) come in through `WorkerRuntime`, filled by the tiny entry
 * points main.node.ts and main.deno.ts. Exit codes: 0 after a normal stop, 2 for a missing or wrong setting
 * (one line on stderr), 1 for a fatal error (the token is refused, registration impossible).
 */
import { systemResolver } from "../shared/net/dns_resolver.ts";
import type { HostResolver } from "../shared/net/url_policy.ts";
import { ComfyConnection } from "./comfy_connection.ts";
import { ConfigError, loadConfig, redactedConfig, USAGE, type WorkerConfig } from "./config.ts";
import { type HttpGet, InputFetcher } from "./input_fetch.ts";
import { InputFiles, removeUnder } from "./input_files.ts";
import { createLogger, type Logger } from "./log.ts";
import { ProtocolClient } from "./protocol_client.ts";
import { QueueWakeups } from "./realtime_wakeups.ts";
import type { OnJobMark } from "./run_job.ts";
import { Worker } from "./worker.ts";

export interface WorkerRuntime {
  /** `node 20.20.2`, `deno 2.9.6`. */
  name: string;
  env: Record<string, string | undefined>;
  /** Arguments after the script. */
  args: string[];
  /** Node 20: the `ws` package; Deno: the global. */
  WebSocket: unknown;
  /** Node: pinned to the checked address (pinned_get.node.ts); Deno: fetch. */
  httpGet: HttpGet;
  onSignal(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  write(line: string, stream: "stdout" | "stderr"): void;
  exit(code: number): void;
}

/** A worker wired from its configuration: protocol client, one connection per ComfyUI, Realtime if configured. */
export function newWorker(
  config: WorkerConfig,
  ports: {
    WebSocket: unknown;
    log: Logger;
    runtime: string;
    httpGet: HttpGet;
    resolver?: HostResolver;
    comfyLostAfterMs?: number;
    onJobMark?: OnJobMark;
    capabilityRefreshMs?: number;
  },
): Worker {
  const { log, WebSocket } = ports;
  const inputs = new InputFetcher({
    get: ports.httpGet,
    resolver: ports.resolver ?? systemResolver,
    policy: { httpAllow: [], privateAllow: config.inputPrivateAllow },
    log,
  });
  return new Worker(
    {
      protocol: new ProtocolClient({ kilnUrl: config.kilnUrl, token: config.workerToken }),
      comfy: config.comfyuiUrls.map((url) => new ComfyConnection({ url, WebSocket, log })),
      inputs,
      inputFiles: new InputFiles(config.comfyuiInputDir ? removeUnder(config.comfyuiInputDir) : undefined),
      wakeups: config.realtime ? new QueueWakeups({ ...config.realtime, WebSocket, log }) : undefined,
      log,
    },
    {
      jobTypes: config.jobTypes,
      pollIntervalMs: config.pollIntervalMs,
      shutdownGraceMs: config.shutdownGraceMs,
      once: config.once,
      prefetch: config.prefetch,
      defaultCheckpoint: config.defaultCheckpoint,
      runtime: ports.runtime,
      comfyLostAfterMs: ports.comfyLostAfterMs,
      onJobMark: ports.onJobMark,
      capabilityRefreshMs: ports.capabilityRefreshMs,
    },
  );
}

/** Runs the worker until it stops; then exits the process with its code. */
export async function runWorkerProcess(rt: WorkerRuntime): Promise<void> {
  if (rt.args.includes("--help") || rt.args.includes("-h")) {
    rt.write(USAGE, "stdout");
    return rt.exit(0);
  }
  let config: WorkerConfig;
  try {
    config = loadConfig(rt.env, rt.args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    rt.write(`kiln worker: ${error.message}`, "stderr");
    return rt.exit(2);
  }
  const log = createLogger(config.logFormat, (line, level) => rt.write(line, level === "info" ? "stdout" : "stderr"));
  log.info(`kiln worker starting on ${rt.name}`, { config: redactedConfig(config) });
  const worker = newWorker(config, { WebSocket: rt.WebSocket, log, runtime: rt.name, httpGet: rt.httpGet });
  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    if (signals === 1) {
      log.info(`${signal}: draining (again to stop at once)`);
      void worker.stop();
    } else {
      log.warn(`${signal} again: stopping now; running jobs' leases will lapse`);
      void worker.kill();
    }
  };
  rt.onSignal("SIGINT", () => onSignal("SIGINT"));
  rt.onSignal("SIGTERM", () => onSignal("SIGTERM"));
  try {
    await worker.start();
  } catch (error) {
    log.error(`could not register with ${config.kilnUrl}: ${String(error)}`);
    return rt.exit(await worker.finished);
  }
  rt.exit(await worker.finished);
}
