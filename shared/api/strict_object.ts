/**
 * Request objects reject fields they do not know, and say which fields they do know: a typo such as `widht`
 * becomes `unknown field "widht"; the fields are: prompt, width, …` instead of being silently dropped.
 */
import { z } from "@hono/zod-openapi";

/** `z.strictObject(shape)` whose unknown-key and wrong-type messages name the accepted fields. */
export function strictObject<const Shape extends z.ZodRawShape>(shape: Shape, name = "this object") {
  const fields = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") {
        const unknown = issue.keys.map((k) => `"${k}"`).join(", ");
        return `unknown field${issue.keys.length > 1 ? "s" : ""} ${unknown}; the fields are: ${fields}`;
      }
      if (issue.code === "invalid_type") return `${name} must be a JSON object with the fields: ${fields}`;
      return undefined;
    },
  });
}
