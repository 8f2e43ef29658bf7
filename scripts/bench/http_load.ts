/**
 * HTTP load for the API rows of the bench: `clients` concurrent loops, each on its own keep-alive connection
 * (node:http, lighter than fetch), timing every request. Bounded by a duration; a non-expected status stops
 * the run with the response's body, so a misconfigured bench never reports error pages as throughput.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

export interface HttpCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status a successful call answers with. */
  expect: number;
}

export interface HttpLoadResult {
  count: number;
  elapsedMs: number;
  /** Latency of each request, ms. */
  samples: number[];
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

/**
 * Runs `next(client, i)` → request in a loop on each of `clients` connections for `durationMs`, after
 * `warmupMs` untimed; `onBody` sees each successful body and its client (to collect created ids).
 */
export async function httpLoad(
  baseUrl: string,
  clients: number,
  durationMs: number,
  next: (client: number) => HttpCall,
  onBody: (body: string, client: number) => void = () => {},
  warmupMs = 1000,
): Promise<HttpLoadResult> {
  const base = new URL(baseUrl);
  const agents = Array.from({ length: clients }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const samples: number[] = [];
  const loop = async (client: number, until: number, timed: boolean) => {
    while (performance.now() < until) {
      const call = next(client);
      const started = performance.now();
      const res = await send(agents[client], base, call);
      if (res.status !== call.expect) {
        throw new Error(
          `${call.method} ${call.path} answered ${res.status}, not ${call.expect}: ${res.body.slice(0, 300)}`,
        );
      }
      if (timed) samples.push(performance.now() - started);
      onBody(res.body, client);
    }
  };
  try {
    const warmEnd = performance.now() + warmupMs;
    await Promise.all(agents.map((_, i) => loop(i, warmEnd, false)));
    const start = performance.now();
    await Promise.all(agents.map((_, i) => loop(i, start + durationMs, true)));
    return { count: samples.length, elapsedMs: performance.now() - start, samples };
  } finally {
    for (const agent of agents) agent.destroy();
  }
}
