/**
 * Registration: the worker tells the workers function what it runs (job types, one slot per ComfyUI instance
 * with its devices and models, versions) and learns its lease, heartbeat interval and wake-up topic. ComfyUI
 * instances get a few seconds to answer first; one that does not is registered by its URL alone and claims once
 * it is up. A function that does not answer (deploying, network down) is retried with backoff; a refusal (the
 * token) is final.
 */
import type { Register, Registered } from "../shared/worker_protocol.ts";
import { describeInstance } from "./comfy_capabilities.ts";
import type { ComfyConnection } from "./comfy_connection.ts";
import type { Logger } from "./log.ts";
import { type ProtocolClient, ProtocolError } from "./protocol_client.ts";

export const WORKER_VERSION = "0.1.0";

export interface RegisterOptions {
  jobTypes: string[];
  runtime: string;
  log: Logger;
  /** True once the worker is told to stop: registration gives up. */
  stopped: () => boolean;
  sleep: (ms: number) => Promise<void>;
  /** How long ComfyUI instances get to connect before registering without their details (default 5 s). */
  connectWithinMs?: number;
}

/** What the worker registers: its job types and each ComfyUI instance as it is now. */
async function describeWorker(
  comfy: ComfyConnection[],
  options: Pick<RegisterOptions, "jobTypes" | "runtime">,
): Promise<Register> {
  return {
    job_types: options.jobTypes,
    slots: comfy.length,
    comfyui: await Promise.all(comfy.map((c) => describeInstance(c))),
    worker_version: WORKER_VERSION,
    runtime: options.runtime,
  };
}

export async function registerWorker(
  protocol: ProtocolClient,
  comfy: ComfyConnection[],
  options: RegisterOptions,
): Promise<{ registered: Registered; body: Register }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(comfy.map((c) => c.start())),
    new Promise((resolve) => {
      timer = setTimeout(resolve, options.connectWithinMs ?? 5000);
    }),
  ]);
  clearTimeout(timer);
  const body = await describeWorker(comfy, options);
  for (let attempt = 1; ; attempt++) {
    if (options.stopped()) throw new Error("stopped before registering");
    try {
      return { registered: await protocol.register(body), body };
    } catch (error) {
      if (!(error instanceof ProtocolError) || !error.retryable || options.stopped()) throw error;
      options.log.warn("register failed; retrying", { error: error.message, attempt });
      await options.sleep(Math.min(30_000, 500 * 2 ** attempt));
    }
  }
}

/**
 * Describes the instances again and registers again if anything changed (a model added, a ComfyUI back with other
 * nodes), so claims match what the worker has now. Answers what is registered.
 */
export async function refreshRegistration(
  protocol: ProtocolClient,
  comfy: ComfyConnection[],
  options: Pick<RegisterOptions, "jobTypes" | "runtime" | "log">,
  registered: Register,
): Promise<Register> {
  const now = await describeWorker(comfy, options);
  if (JSON.stringify(now.comfyui) === JSON.stringify(registered.comfyui)) return registered;
  await protocol.register(now);
  options.log.info("what ComfyUI has changed: registered again", {
    models: Object.fromEntries(now.comfyui.flatMap((i) => Object.entries(i.models)).map(([k, v]) => [k, v.length])),
  });
  return now;
}
