/**
 * The simulator's HTTP surface: the route table (every route also under /api, as ComfyUI registers them twice),
 * the small informational routes (object_info, system_stats, features, models, free), and the node:http
 * listener that reads bodies (capped at the upload limit) and writes replies. An unknown path answers 404
 * "404: Not Found" and a known path with another method 405, as aiohttp does.
 */
import type { IncomingMessage, RequestListener } from "node:http";
import { freemem, totalmem } from "node:os";
import { getView, MAX_UPLOAD_BYTES, postUploadImage } from "./file_routes.ts";
import {
  getHistory,
  getHistoryEntry,
  getPrompt,
  getQueue,
  postHistory,
  postInterrupt,
  postPrompt,
  postQueue,
} from "./prompt_routes.ts";
import { empty, type Handler, json, type Reply, type SimRequest, type SimState } from "./route_context.ts";

const GIB = 1024 ** 3;

const getObjectInfo: Handler = (_req, state) => json(state.catalog());

const getObjectInfoClass: Handler = (_req, state, match) => {
  const name = decodeURIComponent(match[1]);
  const def = state.catalog()[name];
  return json(def ? { [name]: def } : {});
};

const getSystemStats: Handler = (_req, state) => {
  const running = state.queue.running !== undefined;
  const vramTotal = Math.round(state.vramGb * GIB);
  const vramFree = Math.round(vramTotal * (running ? 0.35 : 0.92));
  // The 2024 server had no version fields at all.
  const versions =
    state.profile === "comfyui-2024"
      ? {}
      : {
          comfyui_version: "0.17.0",
          required_frontend_version: "1.27.10",
          installed_templates_version: "0.1.86",
          required_templates_version: "0.1.86",
        };
  return json({
    system: {
      os: "posix",
      ram_total: totalmem(),
      ram_free: freemem(),
      ...versions,
      python_version: "3.12.3 (main, simulated) [GCC 13.2.0]",
      pytorch_version: "2.8.0+cu128",
      embedded_python: false,
      argv: ["main.py", "--listen", "--port", String(state.port), "--preview-method", "none"],
    },
    devices: [
      {
        name: "cuda:0 Kiln ComfyUI simulator (no GPU) : cudaMallocAsync",
        type: "cuda",
        index: 0,
        vram_total: vramTotal,
        vram_free: vramFree,
        torch_vram_total: Math.round(vramTotal * 0.1),
        torch_vram_free: Math.round(vramTotal * 0.02),
      },
    ],
  });
};

/** The server's answer to a `feature_flags` handshake and to GET /features. */
export const SERVER_FEATURES = { supports_preview_metadata: true, max_upload_size: MAX_UPLOAD_BYTES };

const MODEL_FOLDERS = (state: SimState): Record<string, string[]> => ({
  checkpoints: state.checkpoints,
  upscale_models: state.upscaleModels,
});

const ROUTES: Array<[method: string, path: RegExp, handler: Handler]> = [
  ["GET", /^\/prompt$/, getPrompt],
  ["POST", /^\/prompt$/, postPrompt],
  ["GET", /^\/queue$/, getQueue],
  ["POST", /^\/queue$/, postQueue],
  ["GET", /^\/history$/, getHistory],
  ["POST", /^\/history$/, postHistory],
  ["GET", /^\/history\/([^/]+)$/, getHistoryEntry],
  ["POST", /^\/interrupt$/, postInterrupt],
  ["GET", /^\/view$/, getView],
  ["POST", /^\/upload\/image$/, postUploadImage],
  ["GET", /^\/object_info$/, getObjectInfo],
  ["GET", /^\/object_info\/([^/]+)$/, getObjectInfoClass],
  ["GET", /^\/system_stats$/, getSystemStats],
  ["GET", /^\/features$/, () => json(SERVER_FEATURES)],
  ["POST", /^\/free$/, () => empty()],
  ["GET", /^\/embeddings$/, () => json([])],
  ["GET", /^\/extensions$/, () => json([])],
  ["GET", /^\/models$/, (_req, state) => json(Object.keys(MODEL_FOLDERS(state)))],
  [
    "GET",
    /^\/models\/([^/]+)$/,
    (_req, state, m) => (MODEL_FOLDERS(state)[m[1]] ? json(MODEL_FOLDERS(state)[m[1]]) : empty(404)),
  ],
];

/** Dispatches one request; `path` is without the /api prefix. */
export async function route(req: SimRequest, state: SimState): Promise<Reply> {
  const path = req.url.pathname.startsWith("/api/") ? req.url.pathname.slice(4) : req.url.pathname;
  let pathKnown = false;
  for (const [method, pattern, handler] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    pathKnown = true;
    if (method === req.method) return handler(req, state, match);
  }
  return pathKnown
    ? { status: 405, body: "405: Method Not Allowed", headers: { "content-type": "text/plain; charset=utf-8" } }
    : { status: 404, body: "404: Not Found", headers: { "content-type": "text/plain; charset=utf-8" } };
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_UPLOAD_BYTES + 65536) {
        reject(new TooLarge());
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The node:http listener serving `state`. */
export function httpListener(state: () => SimState): RequestListener {
  return (req, res) => {
    let body: Promise<Buffer> | undefined;
    const request: SimRequest = {
      method: req.method ?? "GET",
      url: new URL(req.url ?? "/", "http://localhost"),
      headers: req.headers,
      body: () => {
        body ??= readBody(req);
        return body;
      },
    };
    route(request, state())
      .catch(
        (error: unknown): Reply =>
          error instanceof TooLarge
            ? empty(413)
            : {
                status: 500,
                body: "500 Internal Server Error\n\nServer got itself in trouble",
                headers: { "content-type": "text/plain; charset=utf-8" },
              },
      )
      .then((reply) => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
  };
}
