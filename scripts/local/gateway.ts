/**
 * The gateway on 127.0.0.1:54321 that looks to clients like `supabase start`: /auth/v1, /storage/v1,
 * /rest/v1 (reads), /realtime/v1 (REST and WebSocket) and /functions/v1/<name>, each served by its part of the local stack.
 */
import type { Server } from "node:http";
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { authApp } from "./auth/auth_app.ts";
import { mailboxApp } from "./auth/mailbox.ts";
import { dashboardApp } from "./dashboard_site.ts";
import type { ServedFunction } from "./functions.ts";
import { answerClientError, closingIfBodyUnread } from "./http_refusals.ts";
import type { RealtimeServer } from "./realtime/realtime_server.ts";
import { restApp } from "./rest/rest_app.ts";
import { socketAddress } from "./socket_address.ts";
import type { StackContext } from "./stack_context.ts";
import { storageApp } from "./storage/storage_app.ts";

/** The HTTP app of the gateway. */
export function gatewayApp(ctx: StackContext, realtime: RealtimeServer, functions: Map<string, ServedFunction>): Hono {
  const app = new Hono();
  // The platform's own services answer CORS; functions answer it themselves, as on Supabase.
  const platformCors = cors({
    origin: "*",
    exposeHeaders: ["x-request-id", "content-range", "x-supabase-api-version"],
  });
  for (const service of ["/auth/v1/*", "/rest/v1/*", "/storage/v1/*", "/realtime/v1/*", "/"]) {
    app.use(service, platformCors);
  }
  app.route("/auth/v1", authApp(ctx));
  app.route("/rest/v1", restApp(ctx));
  app.route("/storage/v1", storageApp(ctx));
  app.route("/realtime/v1", realtime.app);
  // A local addition: the mail catcher (supabase start has one of its own, on a port of its own).
  app.route("/mail/v1", mailboxApp(ctx.mailbox));
  // Kiln's web dashboard (dashboard/), served by the stack; on a hosted project any static host serves it.
  app.get("/dashboard", (c) => c.redirect("/dashboard/"));
  app.route("/dashboard", dashboardApp(ctx));
  // Any path under /functions/v1, whatever its characters (a `:name{.*}` pattern misses an encoded newline).
  app.all("/functions/v1/*", async (c) => {
    const url = new URL(c.req.url);
    const name = url.pathname.split("/")[3] ?? "";
    const fn = functions.get(name);
    if (!fn) return c.json({ code: "NOT_FOUND", message: `Requested function ${name} was not found` }, 404);
    // Supabase's gateway strips /functions/v1: the function sees /<name>/…
    url.pathname = url.pathname.slice("/functions/v1".length);
    const request = new Request(url, c.req.raw);
    // As hosted Supabase's Cloudflare does: the address the connection came from, replacing what a client sent.
    request.headers.set("cf-connecting-ip", socketAddress(c) ?? "127.0.0.1");
    return servedAsHosted(c.req.method, await fn.fetch(request));
  });
  app.get("/", (c) => c.json({ name: "kiln local stack", url: ctx.publicUrl }));
  return app;
}

/**
 * What hosted Supabase does to a function's answer: "GET requests that return text/html will be rewritten to
 * text/plain" (its routing guide), so a page that works here but not there shows here as the source it is there.
 */
export function servedAsHosted(method: string, response: Response): Response {
  if (method !== "GET" || !/^text\/html\b/i.test(response.headers.get("content-type") ?? "")) return response;
  const rewritten = new Response(response.body, response);
  rewritten.headers.set("content-type", "text/plain; charset=utf-8");
  return rewritten;
}

/** Binds the HTTP server (a taken port is an error naming it) with WebSocket upgrades for Realtime. */
export function listenGateway(
  host: string,
  port: number,
  handler: () => Hono | undefined,
  realtime: () => RealtimeServer | undefined,
): Promise<Server> {
  // The node-server's env (the socket) goes to the app: the mail catcher answers only loopback callers.
  const listener = getRequestListener(async (request, env) => {
    const app = handler();
    if (!app) return new Response("starting", { status: 503 });
    return closingIfBodyUnread(env.incoming, await app.fetch(request, env));
  });
  const server = createServer(listener);
  server.on("clientError", answerClientError);
  server.on("upgrade", (request, socket, head) => {
    const rt = realtime();
    if (rt && request.url?.startsWith("/realtime/v1/websocket")) rt.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} on ${host} is already in use: stop what runs there, or pass --port <other>`)
          : error,
      );
    });
    server.listen(port, host, () => resolve(server));
  });
}
