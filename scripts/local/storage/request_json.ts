/** The JSON object of a Storage request body; anything else (none, invalid, not an object) reads as `{}`, which the
 * route's own checks then refuse with Storage's schema wording. */
import type { Context } from "hono";

export async function readJson(c: Context): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => ({}));
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}
