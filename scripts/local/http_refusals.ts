/**
 * The gateway's HTTP hygiene, so every refusal leaves the client a connection it can rely on:
 * - an answer sent before the request's body was read (413, 415, 401…) says `connection: close`, and the socket
 *   closes after it, rather than being kept alive and then dropped while the unread rest drains;
 * - what Node's HTTP parser refuses before any app sees it (headers over the limit: 431; a malformed request: 400)
 *   gets Kiln's error envelope with a request id, and the connection is closed, as the parser leaves it unusable.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { ERROR_CODES, type ErrorCode } from "../../shared/errors.ts";

/** `response`, marked to close the connection when `incoming` still has body the app never read. */
export function closingIfBodyUnread(
  incoming: Pick<IncomingMessage, "headers" | "readableEnded">,
  response: Response,
): Response {
  const hasBody =
    incoming.headers["transfer-encoding"] !== undefined || Number(incoming.headers["content-length"] ?? 0) > 0;
  if (!hasBody || incoming.readableEnded) return response;
  const closing = new Response(response.body, response);
  closing.headers.set("connection", "close");
  return closing;
}

const REASONS: Partial<Record<ErrorCode, string>> = {
  malformed_request: "Bad Request",
  headers_too_large: "Request Header Fields Too Large",
};

/** The server's `clientError` handler: the envelope, then close. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const code: ErrorCode = error.code === "HPE_HEADER_OVERFLOW" ? "headers_too_large" : "malformed_request";
  const requestId = `req_${crypto.randomUUID()}`;
  const body = JSON.stringify({ error: { code, message: ERROR_CODES[code].message, request_id: requestId } });
  socket.end(
    `HTTP/1.1 ${ERROR_CODES[code].status} ${REASONS[code]}\r\n` +
      "content-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
}
