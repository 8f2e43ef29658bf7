/**
 * What every request body of a function goes through before its route reads it: the size limit, counted on the
 * stream (a chunked body has no Content-Length to check up front: 413 at the limit), then no string Postgres
 * cannot store (422 naming each field: NUL, unpaired surrogates). Hono keeps the text read here for the route.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { unsafeJsonText } from "../../../../shared/text_safety.ts";
import { fail, validationError } from "./errors.ts";

export function bodyChecks(maxBytes: number): [MiddlewareHandler, MiddlewareHandler] {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => fail("payload_too_large", `The body may be at most ${maxBytes} bytes.`, { limit: maxBytes }),
  });
  const safeText: MiddlewareHandler = async (c, next) => {
    if (/^application\/json\b/i.test(c.req.header("content-type") ?? "")) {
      const problems = unsafeJsonText(await c.req.text());
      if (problems.length > 0) throw validationError(problems);
    }
    await next();
  };
  return [limit, safeText];
}
