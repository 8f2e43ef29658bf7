/**
 * Input image downloads under the URL policy. Every connection these tests make goes to loopback: a refusal of a
 * non-loopback range is checked with a GET that records the call and never connects, so even broken code could
 * not send a packet off this machine.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { systemResolver } from "../shared/net/dns_resolver.ts";
import type { HostResolver, TargetPolicy } from "../shared/net/url_policy.ts";
import { type HttpGet, InputFetcher } from "./input_fetch.ts";
import { JobFailure } from "./job_failures.ts";
import { memoryLogger } from "./log.ts";
import { pinnedGet } from "./pinned_get.node.ts";

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

/** A loopback HTTP server that counts the connections it accepts. */
async function countingServer(handler: Parameters<typeof createServer>[1]): Promise<{
  server: Server;
  port: number;
  connections: () => number;
}> {
  let connections = 0;
  const server = createServer(handler);
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A GET that records what it was asked and refuses to connect anywhere. */
function recordingGet(): { get: HttpGet; calls: { url: string; address?: string }[] } {
  const calls: { url: string; address?: string }[] = [];
  return {
    calls,
    get: async (url, address) => {
      calls.push({ url: url.href, address });
      throw new Error("this test must not connect");
    },
  };
}

const STRICT: TargetPolicy = { httpAllow: [], privateAllow: [] };
/** Loopback let through, as an operator's allow-list would, so the tests have somewhere to connect. */
const LOOPBACK_ALLOWED: TargetPolicy = { httpAllow: ["127.0.0.1"], privateAllow: ["127.0.0.1"] };

async function failureOf(promise: Promise<unknown>): Promise<JobFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof JobFailure, `expected a JobFailure, got ${String(error)}`);
  return error;
}

describe("input downloads under the URL policy", () => {
  let images: Awaited<ReturnType<typeof countingServer>>;
  let other: Awaited<ReturnType<typeof countingServer>>;
  before(async () => {
    images = await countingServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/a.png") {
        res.writeHead(200, { "content-type": "image/png" }).end(PNG);
      } else if (url.pathname === "/hop") {
        res.writeHead(302, { location: "/a.png" }).end();
      } else if (url.pathname === "/to-localhost") {
        res.writeHead(302, { location: `http://localhost:${other.port}/a.png` }).end();
      } else if (url.pathname === "/loop") {
        res.writeHead(302, { location: "/loop" }).end();
      } else if (url.pathname === "/endless") {
        // No Content-Length: only counting the stream can stop it.
        res.writeHead(200, { "content-type": "image/png" });
        const chunk = new Uint8Array(64 * 1024);
        const write = () => {
          while (res.write(chunk)) if (res.destroyed) return;
          res.once("drain", write);
        };
        write();
      } else if (url.pathname === "/declared-huge") {
        res.writeHead(200, { "content-type": "image/png", "content-length": String(10 * 1024 * 1024) }).end();
      } else if (url.pathname === "/hang") {
        // Never answers: the timeout must end it.
      } else if (url.pathname === "/busy") {
        res.writeHead(503).end("internal detail: db-7 is overloaded");
      } else {
        res.writeHead(404).end("internal detail: bucket secret-images has no such key");
      }
    });
    other = await countingServer((_req, res) => res.writeHead(200, { "content-type": "image/png" }).end(PNG));
  });
  after(async () => {
    for (const { server } of [images, other]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const fetcher = (policy: TargetPolicy, get: HttpGet = pinnedGet, resolver: HostResolver = systemResolver) =>
    new InputFetcher({ get, resolver, policy, log: memoryLogger(), maxBytes: 1024 * 1024, timeoutMs: 2_000 });
  const signal = () => new AbortController().signal;

  it("refuses loopback in every spelling, and never connects", async () => {
    for (const host of ["127.0.0.1", "localhost", "2130706433", "[::1]", "127.1", "0x7f.0.0.1"]) {
      const url = `https://${host}:${images.port}/a.png`;
      const failure = await failureOf(fetcher(STRICT).download(url, url, signal()));
      assert.equal(failure.code, "input_url_refused", host);
      assert.equal(failure.retryable, false);
    }
    assert.equal(images.connections(), 0);
  });

  it("refuses private, link-local and metadata addresses, and names that resolve to them, without a GET", async () => {
    const { get, calls } = recordingGet();
    const resolver: HostResolver = { resolve: async (host) => (host === "rebound.example" ? ["10.1.2.3"] : []) };
    const urls = [
      "https://169.254.169.254/latest/meta-data/",
      "https://10.0.0.1/a.png",
      "https://192.168.1.10/a.png",
      "https://[fd00:ec2::254]/",
      "https://[::ffff:169.254.169.254]/",
      "https://100.64.0.1/a.png",
      "https://rebound.example/a.png",
      "http://93.184.216.34/a.png",
    ];
    for (const url of urls) {
      const failure = await failureOf(fetcher(STRICT, get, resolver).download(url, url, signal()));
      assert.equal(failure.code, "input_url_refused", url);
    }
    assert.deepEqual(calls, []);
  });

  it("tells the job's owner only that the download failed; what answered goes to the worker's log", async () => {
    const log = memoryLogger();
    const inputs = new InputFetcher({ get: pinnedGet, resolver: systemResolver, policy: LOOPBACK_ALLOWED, log });
    const missing = `http://127.0.0.1:${images.port}/nope.png`;
    const gone = await failureOf(inputs.download(missing, missing, signal()));
    assert.deepEqual([gone.code, gone.retryable], ["input_unavailable", false]);
    assert.equal(gone.message, `input image ${missing} could not be downloaded`);
    const busy = `http://127.0.0.1:${images.port}/busy`;
    const retry = await failureOf(inputs.download(busy, busy, signal()));
    assert.deepEqual([retry.code, retry.retryable], ["input_download_failed", true]);
    assert.doesNotMatch(`${gone.message} ${retry.message}`, /404|503|bucket|db-7/);
    assert.ok(log.lines.some((line) => line.includes("404")));
  });

  it("checks every redirect hop: a hop to a host the policy refuses ends there, unconnected", async () => {
    const hop = `http://127.0.0.1:${images.port}/hop`;
    const fetched = await fetcher(LOOPBACK_ALLOWED).download(hop, hop, signal());
    assert.deepEqual(fetched.bytes, PNG);
    assert.equal(fetched.contentType, "image/png");

    const away = `http://127.0.0.1:${images.port}/to-localhost`;
    const failure = await failureOf(fetcher(LOOPBACK_ALLOWED).download(away, away, signal()));
    assert.equal(failure.code, "input_url_refused");
    assert.equal(other.connections(), 0, "the refused hop was never connected to");

    const loop = `http://127.0.0.1:${images.port}/loop`;
    assert.equal((await failureOf(fetcher(LOOPBACK_ALLOWED).download(loop, loop, signal()))).code, "input_unavailable");
  });

  it("caps the size on the stream, whatever Content-Length says, and bounds the time", async () => {
    const endless = `http://127.0.0.1:${images.port}/endless`;
    const large = await failureOf(fetcher(LOOPBACK_ALLOWED).download(endless, endless, signal()));
    assert.deepEqual([large.code, large.retryable], ["input_too_large", false]);
    const declared = `http://127.0.0.1:${images.port}/declared-huge`;
    assert.equal(
      (await failureOf(fetcher(LOOPBACK_ALLOWED).download(declared, declared, signal()))).code,
      "input_too_large",
    );

    const hang = `http://127.0.0.1:${images.port}/hang`;
    const inputs = new InputFetcher({
      get: pinnedGet,
      resolver: systemResolver,
      policy: LOOPBACK_ALLOWED,
      log: memoryLogger(),
      timeoutMs: 300,
    });
    const slow = await failureOf(inputs.download(hang, hang, signal()));
    assert.deepEqual([slow.code, slow.retryable], ["input_download_failed", true]);
  });

  it("connects to the address it checked (pinned), not to what the name resolves to later", async () => {
    const { get, calls } = recordingGet();
    const resolver: HostResolver = { resolve: async () => ["93.184.216.34"] };
    await failureOf(
      fetcher(STRICT, get, resolver).download("https://images.example/a.png", "https://images.example/a.png", signal()),
    );
    assert.deepEqual(calls, [{ url: "https://images.example/a.png", address: "93.184.216.34" }]);

    // The pinned GET reaches the given address for a name no DNS knows, keeping the name as the Host.
    let host: string | undefined;
    const pinned = await countingServer((req, res) => {
      host = req.headers.host;
      res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    });
    try {
      const response = await pinnedGet(
        new URL(`http://images.kiln.invalid:${pinned.port}/a.png`),
        "127.0.0.1",
        signal(),
      );
      assert.equal(response.status, 200);
      assert.deepEqual(new Uint8Array(await response.arrayBuffer()), PNG);
      assert.equal(host, `images.kiln.invalid:${pinned.port}`);
    } finally {
      pinned.server.closeAllConnections();
      await new Promise((resolve) => pinned.server.close(resolve));
    }
  });

  it("fetches the API's signed upload URLs as given: they come from Kiln, not from the user", async () => {
    const url = `http://127.0.0.1:${images.port}/a.png?token=signed`;
    const fetched = await fetcher(STRICT).download("upload:0b7e4f3c-2a51-4c1e-9d0a-6f1f3b2c8e11", url, signal());
    assert.deepEqual(fetched.bytes, PNG);
  });
});
