/**
 * Refusals a client can rely on, through the local gateway: the envelope with a request id every time, and a
 * connection that is either kept and usable or announced closed, never dropped under the next request.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { socketErrorsAfterRefusals } from "../testing/keep_alive_refusals.ts";
import { type StackTarget, startLocalTarget } from "../testing/test_stack.ts";

/** Sends raw bytes on a fresh socket; resolves with everything read until the server closes (bounded). */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the socket open: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
    }, 5_000);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => {}); // A reset after the answer is read is the server closing: judged by what came.
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString());
    });
    socket.write(request);
  });
}

function envelopeOf(raw: string): {
  status: number;
  headers: string;
  body: { error: { code: string; request_id: string } };
} {
  const [head, body] = raw.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

describe("refusals through the gateway", () => {
  let target: StackTarget;
  let port: number;
  before(async () => {
    target = await startLocalTarget();
    port = Number(new URL(target.url).port);
  });
  after(() => target?.stop());

  it("a body over the limit: 413 in the envelope, connection: close, and the socket closes after it", async () => {
    const raw = await exchange(
      port,
      "POST /functions/v1/api/v1/jobs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
        `content-length: ${5 * 1024 * 1024}\r\n\r\n{"type":"txt2img"`,
    );
    const answer = envelopeOf(raw);
    assert.equal(answer.status, 413);
    assert.match(answer.headers, /\r\nconnection: close/);
    assert.equal(answer.body.error.code, "payload_too_large");
    assert.match(answer.body.error.request_id, /^req_/);
  });

  it("headers over the parser's limit: 431 in the envelope with a request id, then close", async () => {
    const raw = await exchange(
      port,
      `GET /functions/v1/api/health HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    const answer = envelopeOf(raw);
    assert.equal(answer.status, 431);
    assert.match(answer.headers, /\r\nconnection: close/);
    assert.equal(answer.body.error.code, "headers_too_large");
    assert.match(answer.headers, new RegExp(`x-request-id: ${answer.body.error.request_id}`));
  });

  it("a request that is not HTTP: 400 malformed_request in the envelope, then close", async () => {
    const answer = envelopeOf(await exchange(port, "HELLO THERE\r\n\r\n"));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, "malformed_request");
  });

  it("keep-alive clients see no socket errors when refusals before the body alternate with normal requests", async () => {
    const errors = await socketErrorsAfterRefusals(
      `${target.url}/functions/v1/api/v1/jobs`,
      `${target.url}/functions/v1/api/health`,
    );
    assert.equal(errors, 0);
  });
});
