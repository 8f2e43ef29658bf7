/**
 * HTTP load for the API rows of the bench: `clients` concurrent loops, each on its own keep-alive connection
 * (node:http, lighter than fetch), timing every request. Bounded by a duration; a non-expected status stops
 * the run with the response's body, so a misconfigured bench never reports error pages as throughput.
 *
 * The loops run in a worker thread (http_load_worker.ts), not on the event loop of an in-process server:
 * sharing that thread queued the server's callbacks behind the client's own request and response handling, so
 * the "in-process" rows measured both on one thread (the server's thread alone is ~85% busy at ~800 GET/s).
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";

export interface HttpCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status a successful call answers with. */
  expect: number;
}

/** What to load: each client cycles through its own list of calls. */
export interface HttpLoadPlan {
  baseUrl: string;
  durationMs: number;
  /** Untimed requests before the timed ones. */
  warmupMs: number;
  /** One list of calls per client, sent in turn, round and round. */
  calls: HttpCall[][];
  /** Whether to return the body of every successful response (per client). */
  keepBodies: boolean;
}

export interface HttpLoadResult {
  count: number;
  elapsedMs: number;
  /** Latency of each request, ms. */
  samples: number[];
  /** Bodies of the successful responses, per client, when asked for. */
  bodies: string[][];
}

/** One request on `agent`; resolves with status and body. */
function send(agent: Agent, base: URL, call: HttpCall): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: base.hostname, port: base.port, method: call.method, path: call.path, headers: call.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(call.body);
  });
}

/** Runs `plan` on this thread (the worker's body). */
export async function runHttpLoad(plan: HttpLoadPlan): Promise<HttpLoadResult> {
  const base = new URL(plan.baseUrl);
  const agents = plan.calls.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const turns = plan.calls.map(() => 0);
  const samples: number[] = [];
  const bodies: string[][] = plan.calls.map(() => []);
  const loop = async (client: number, until: number, timed: boolean) => {
    const calls = plan.calls[client];
    while (performance.now() < until) {
      const call = calls[turns[client]++ % calls.length];
      const started = performance.now();
      const res = await send(agents[client], base, call);
      if (res.status !== call.expect) {
        throw new Error(
          `${call.method} ${call.path} answered ${res.status}, not ${call.expect}: ${res.body.slice(0, 300)}`,
        );
      }
      if (timed) samples.push(performance.now() - started);
      if (plan.keepBodies) bodies[client].push(res.body);
    }
  };
  try {
    const warmEnd = performance.now() + plan.warmupMs;
    await Promise.all(agents.map((_, i) => loop(i, warmEnd, false)));
    const start = performance.now();
    await Promise.all(agents.map((_, i) => loop(i, start + plan.durationMs, true)));
    return { count: samples.length, elapsedMs: performance.now() - start, samples, bodies };
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

/** Runs `plan` in a worker thread, so an in-process server keeps its event loop to itself. */
export function httpLoad(plan: HttpLoadPlan): Promise<HttpLoadResult> {
  return new Promise((resolve, reject) => {
    // The worker loads TypeScript through tsx, as the bench itself does: a worker does not inherit the loader,
    // so an evaluated entry registers it, then imports the module.
    const entry = JSON.stringify(new URL("./http_load_worker.ts", import.meta.url).href);
    const worker = new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${entry}); })`, {
      eval: true,
      workerData: plan,
    });
    let result: HttpLoadResult | undefined;
    worker.once("message", (message: { result?: HttpLoadResult; error?: string }) => {
      if (message.error) reject(new Error(message.error));
      else result = message.result;
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (result) resolve(result);
      else reject(new Error(`the load worker exited (${code}) without a result`));
    });
  });
}
