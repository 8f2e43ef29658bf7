/** The test network guard (loaded into every test process by scripts/test.ts) keeps every connection on loopback. */
import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import { createServer } from "node:net";
import { describe, it } from "node:test";

describe("the test network guard", () => {
  it("refuses connections and DNS questions that would leave the machine, without sending anything", async () => {
    await assert.rejects(fetch("http://93.184.216.34/"), (error: Error) => {
      assert.match(String((error.cause as Error)?.message ?? error.message), /test network guard/);
      return true;
    });
    await assert.rejects(fetch("http://example.com/"), (error: Error) =>
      /test network guard|ENOTFOUND/.test(String(error.cause ?? error)),
    );
    await assert.rejects(lookup("example.com"), { code: "ENOTFOUND" });
    await assert.rejects(fetch("http://[2001:db8::1]/"));
  });

  it("lets loopback through, by address and as localhost", async () => {
    const server = createServer((socket) => socket.end("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 204);
      assert.equal((await fetch(`http://localhost:${port}/`)).status, 204);
      assert.equal(
        (await lookup("localhost")).address.startsWith("127.") || (await lookup("localhost")).address === "::1",
        true,
      );
    } finally {
      server.close();
    }
  });
});
