/**
 * The worker's GET under Node, pinned: the connection goes to the address the URL policy checked, through the
 * request's `lookup`, so a DNS answer that changes after the check (rebinding) cannot redirect it. TLS still
 * verifies the certificate against the URL's host name (SNI and the check use the name, not the address).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { Readable } from "node:stream";
import type { HttpGet } from "./input_fetch.ts";

/** A lookup that answers every name with `address`, in both of the forms Node asks for. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_host, options, callback) => {
    if (options.all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function toResponse(incoming: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  const status = incoming.statusCode ?? 502;
  const bodiless = status === 204 || status === 205 || status === 304;
  if (bodiless) incoming.resume();
  const body = bodiless ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
  return new Response(body, { status, headers });
}

export const pinnedGet: HttpGet = (url, address, signal) =>
  new Promise((resolve, reject) => {
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(
      url,
      {
        method: "GET",
        headers: { accept: "image/*" },
        signal,
        ...(address ? { lookup: pinnedLookup(address) } : {}),
      },
      (incoming) => resolve(toResponse(incoming)),
    );
    request.on("error", reject);
    request.end();
  });
