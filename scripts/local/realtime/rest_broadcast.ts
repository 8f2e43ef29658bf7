/**
 * Broadcast over HTTP, as realtime-js's `send()` fallback and `httpSend()` call it:
 * `POST /api/broadcast {messages: [{topic, event, payload, private?}]}` and
 * `POST /api/broadcast/<topic>/events/<event>[?private=true]` with the payload as the body (JSON or bytes).
 * Both need an apikey and take the Authorization bearer token (the apikey when absent). A private message goes
 * out only when the token may write the topic under RLS, or is service_role; others are dropped and the answer is
 * still 202, as on Supabase (supabase/realtime lib/realtime/tenants/batch_broadcast.ex).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type postgres from "postgres";
import { z } from "zod";
import type { JwtKeys } from "../jwt_keys.ts";
import { type Claims, canAccessTopic, TokenError, verifyToken } from "./authorization.ts";
import type { TopicRegistry } from "./channels.ts";
import { type Broadcast, jsonBroadcast } from "./protocol.ts";

export interface RestBroadcastDeps {
  sql: postgres.Sql;
  keys: JwtKeys;
  registry: TopicRegistry;
}

const batchSchema = z.object({
  messages: z
    .array(
      z.object({
        topic: z.string().min(1),
        event: z.string().min(1),
        payload: z.record(z.string(), z.unknown()),
        private: z.boolean().default(false),
        id: z.string().optional(),
      }),
    )
    .min(1),
});

/** The routes, to mount inside the Realtime app. */
export function restBroadcastRoutes(deps: RestBroadcastDeps): Hono {
  const app = new Hono();

  app.post("/api/broadcast", async (c) => {
    const claims = await authenticate(c, deps.keys);
    if (claims instanceof Response) return claims;
    const parsed = batchSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ message: z.prettifyError(parsed.error) }, 422);
    const checked = new Map<string, boolean>();
    for (const m of parsed.data.messages) {
      if (m.private && !(await mayWrite(deps, claims, m.topic, checked))) continue;
      deps.registry.fanOut(m.topic, m.private, jsonBroadcast(m.event, m.payload, m.id));
    }
    return c.json({}, 202);
  });

  app.post("/api/broadcast/:topic/events/:event", async (c) => {
    const claims = await authenticate(c, deps.keys);
    if (claims instanceof Response) return claims;
    const topic = c.req.param("topic");
    const event = c.req.param("event");
    const isPrivate = c.req.query("private") === "true";
    let message: Broadcast;
    if (c.req.header("content-type")?.startsWith("application/octet-stream")) {
      message = { kind: "binary", event, encoding: 0, data: new Uint8Array(await c.req.arrayBuffer()) };
    } else {
      const payload: unknown = await c.req.json().catch(() => undefined);
      if (payload === undefined) return c.json({ message: "the body must be JSON" }, 422);
      message = jsonBroadcast(event, payload);
    }
    if (!isPrivate || (await mayWrite(deps, claims, topic, new Map()))) {
      deps.registry.fanOut(topic, isPrivate, message);
    }
    return c.json({}, 202);
  });

  return app;
}

/** The caller's claims: the apikey must be a valid JWT, and so must the bearer token that acts for it. */
async function authenticate(c: Context, keys: JwtKeys): Promise<Claims | Response> {
  const apiKey = c.req.header("apikey") ?? c.req.query("apikey");
  if (!apiKey) return c.json({ message: "No API key found in request" }, 401);
  const bearer = c.req.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  try {
    await verifyToken(keys, apiKey);
    return await verifyToken(keys, bearer ?? apiKey);
  } catch (error) {
    if (error instanceof TokenError) return c.json({ message: error.message }, 401);
    throw error;
  }
}

/** service_role may write any topic; anyone else as RLS allows, checked once per topic and request. */
async function mayWrite(
  deps: RestBroadcastDeps,
  claims: Claims,
  topic: string,
  checked: Map<string, boolean>,
): Promise<boolean> {
  if (claims.role === "service_role") return true;
  let allowed = checked.get(topic);
  if (allowed === undefined) {
    allowed = await canAccessTopic(deps.sql, topic, claims, "write");
    checked.set(topic, allowed);
  }
  return allowed;
}
