/**
 * One ComfyUI instance, through @stable-canvas/comfyui-client's transport only: `connect`, `on`, `fetchApi`,
 * `viewURL`, `interrupt` (never `enqueue`, whose known defects the reference lists). The client's own
 * reconnect (every 300 ms forever, events lost meanwhile) is replaced: when the socket drops, that Client is
 * closed and a new one with the same clientId connects after an HTTP probe, with exponential backoff. Listeners
 * registered here outlive the Clients; `onState` tells runners when the socket is up again, so they can check
 * `/history` for what they missed.
 */
import { Client, HttpError } from "@stable-canvas/comfyui-client";
import { missingRoutes } from "./comfy_capabilities.ts";
import type { Logger } from "./log.ts";

/** The WebSocket events a runner follows (all carry `prompt_id`). */
export const PROMPT_EVENTS = [
  "execution_start",
  "execution_cached",
  "executing",
  "progress",
  "executed",
  "execution_success",
  "execution_error",
  "execution_interrupted",
] as const;
export type PromptEventType = (typeof PROMPT_EVENTS)[number];
export interface PromptEvent {
  type: PromptEventType;
  data: Record<string, unknown>;
}

/** An HTTP answer outside 2xx–3xx; `body` is the parsed JSON (undefined when the body was not JSON). */
export class ComfyHttpError extends Error {
  override name = "ComfyHttpError";
  readonly status: number | undefined;
  readonly body: unknown;
  constructor(route: string, status: number | undefined, body: unknown) {
    super(`ComfyUI ${route}: ${status === undefined ? "an error with a non-JSON body" : `HTTP ${status}`}`);
    this.status = status;
    this.body = body;
  }
}

/** No answer at all: ComfyUI is down or unreachable. */
export class ComfyUnreachableError extends Error {
  override name = "ComfyUnreachableError";
}

export interface ComfyConnectionOptions {
  url: string;
  /** The WebSocket constructor (Node 20: the `ws` package). */
  WebSocket: unknown;
  log: Logger;
  clientId?: string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

type Socketish = { readyState: number; close(): void; addEventListener?(type: string, fn: () => void): void };

export class ComfyConnection {
  readonly url: string;
  readonly clientId: string;
  /** HTTP only (never connected): fetchApi, viewURL, interrupt. */
  private readonly http: Client;
  private readonly options: ComfyConnectionOptions;
  private socketClient: Client | undefined;
  private everUp = false;
  private ownPromptIds = false;
  private closed = false;
  /** Aborted by close(): cuts a connection attempt short. */
  private readonly closing = new AbortController();
  private connecting: Promise<void> | undefined;
  private wakeBackoff: (() => void) | undefined;
  private readonly eventListeners = new Set<(event: PromptEvent) => void>();
  private readonly stateListeners = new Set<(up: boolean, reconnected: boolean) => void>();

  constructor(options: ComfyConnectionOptions) {
    this.options = options;
    this.url = options.url.replace(/\/+$/, "");
    this.clientId = options.clientId ?? crypto.randomUUID().replaceAll("-", "");
    this.http = this.newClient();
  }

  /** Whether the WebSocket is open (a runner can follow prompts). */
  get healthy(): boolean {
    return this.socketClient !== undefined;
  }

  /** Connects, retrying with backoff until it is up or closed; resolves once up (or closed). */
  start(): Promise<void> {
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Every prompt event this client receives; returns the unsubscribe function. */
  onEvent(listener: (event: PromptEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Socket up (reconnected: not the first time) or down. */
  onState(listener: (up: boolean, reconnected: boolean) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** An HTTP call through the client's fetchApi; errors normalized to ComfyHttpError / ComfyUnreachableError. */
  async request(route: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<Response> {
    try {
      return await this.http.fetchApi(route, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (error instanceof HttpError) throw new ComfyHttpError(route, error.status, error.json);
      // fetchApi parses every error body as JSON: an empty or HTML one throws SyntaxError.
      if (error instanceof SyntaxError) throw new ComfyHttpError(route, undefined, undefined);
      throw new ComfyUnreachableError(`ComfyUI ${route}: ${String(error)}`);
    }
  }

  /** GET or POST `route` and parse its JSON answer. */
  async json<T = unknown>(route: string, init: RequestInit = {}, timeoutMs?: number): Promise<T> {
    const response = await this.request(route, init, timeoutMs);
    return (await response.json()) as T;
  }

  /** POST a JSON body. */
  postJson<T = unknown>(route: string, body: unknown): Promise<T> {
    return this.json<T>(route, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /** The /view URL of a file ComfyUI wrote. */
  viewUrl(filename: string, subfolder: string, type: string): string {
    return this.http.viewURL(filename, subfolder, type);
  }

  /**
   * Stops `promptId`, after asking `/queue` where it is: waiting, it is deleted from the queue; running, it is
   * interrupted. The interrupt names the prompt, which servers since September 2025 honour; older ones stop
   * whatever runs, hence the check. What remains on those: the prompt may end, and another client's start, in the
   * one round trip between the check and the interrupt, which then stops that one. Answers what it did: a
   * deleted prompt sends no more events, so its run ends at once rather than waiting for them.
   */
  async interrupt(promptId: string): Promise<"deleted" | "interrupted" | "absent"> {
    let queue: { queue_running?: unknown[][]; queue_pending?: unknown[][] };
    try {
      queue = await this.json("/queue");
    } catch {
      return "absent"; // ComfyUI is away: there is nothing to stop, or nothing to reach.
    }
    const holds = (items: unknown[][] | undefined) =>
      (items ?? []).some((item) => Array.isArray(item) && item[1] === promptId);
    if (holds(queue.queue_running)) {
      await this.http.interrupt(promptId).catch(() => {});
      return "interrupted";
    }
    if (holds(queue.queue_pending)) {
      await this.postJson("/queue", { delete: [promptId] }).catch(() => {});
      return "deleted";
    }
    return "absent";
  }

  /** Says once that this ComfyUI runs prompts under ids of its own (older than 0.3.44); the runs follow those. */
  noteOwnPromptIds(): void {
    if (this.ownPromptIds) return;
    this.ownPromptIds = true;
    this.options.log.info(
      `comfyui ${this.url} runs prompts under ids of its own (a server older than 0.3.44): following the ids it answers`,
    );
  }

  /** Stops reconnecting and closes the socket. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    this.wakeBackoff?.();
    const client = this.socketClient;
    this.socketClient = undefined;
    if (client) dispose(client);
    await this.connecting;
  }

  private newClient(): Client {
    const u = new URL(this.url);
    return new Client({
      api_host: u.host,
      api_base: u.pathname === "/" ? "" : u.pathname,
      ssl: u.protocol === "https:",
      clientId: this.clientId,
      WebSocket: this.options.WebSocket,
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    });
  }

  private async connectLoop(): Promise<void> {
    let delay = this.options.initialBackoffMs ?? 250;
    const max = this.options.maxBackoffMs ?? 10_000;
    let warned = false;
    while (!this.closed && !this.socketClient) {
      const problem = await this.attempt();
      if (problem === undefined || this.closed) break;
      if (!warned) this.options.log.warn(`comfyui ${this.url} unhealthy: ${problem}; reconnecting with backoff`);
      warned = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay * (0.8 + Math.random() * 0.4));
        this.wakeBackoff = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeBackoff = undefined;
      delay = Math.min(delay * 2, max);
    }
  }

  /** One connection attempt: an HTTP probe, then the WebSocket. Undefined when up, else why not. */
  private async attempt(): Promise<string | undefined> {
    try {
      const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(5000)]);
      const probe = await fetch(`${this.url}/system_stats`, { signal });
      await probe.body?.cancel();
      if (!probe.ok) return `GET /system_stats answered ${probe.status}`;
    } catch (error) {
      return `unreachable (${String(error)})`;
    }
    // A server without what Kiln needs is refused by name, and its slot claims nothing (retried, in case a proxy
    // in front is fixed).
    const lacking = await missingRoutes(this);
    if (lacking) return `cannot run Kiln jobs: ${lacking}`;
    const client = this.newClient();
    let onClose = () => {};
    const opened = await new Promise<boolean>((resolve) => {
      onClose = () => resolve(false);
      this.closing.signal.addEventListener("abort", onClose);
      client.on("connection_error", onClose);
      client.connect({ timeout_ms: 5000 }).then(() => resolve(true), onClose);
    });
    this.closing.signal.removeEventListener("abort", onClose);
    if (!opened || this.closed) {
      dispose(client);
      return this.closed ? undefined : "the WebSocket did not open";
    }
    for (const type of PROMPT_EVENTS) {
      client.on(type, (data: unknown) => {
        if (this.socketClient !== client || typeof data !== "object" || data === null) return;
        for (const listener of this.eventListeners) listener({ type, data: data as Record<string, unknown> });
      });
    }
    const lost = () => this.lost(client);
    client.on("reconnecting", lost);
    client.on("connection_error", lost);
    this.socketClient = client;
    const reconnected = this.everUp;
    this.everUp = true;
    this.options.log.info(`comfyui ${this.url} ${reconnected ? "reconnected" : "connected"}`);
    for (const listener of this.stateListeners) listener(true, reconnected);
    return undefined;
  }

  private lost(client: Client): void {
    if (this.socketClient !== client) return;
    this.socketClient = undefined;
    dispose(client);
    if (this.closed) return;
    this.options.log.warn(`comfyui ${this.url} connection lost`);
    for (const listener of this.stateListeners) listener(false, false);
    void this.start();
  }
}

/**
 * Closes a Client for good. Its close() leaves a still-connecting socket open and strips its listeners, and a
 * `ws` socket that then errors with no listener would throw: give it one, and close it once it opens.
 */
function dispose(client: Client): void {
  const socket = client.socket as unknown as Socketish | null | undefined;
  client.close();
  if (!socket) return;
  socket.addEventListener?.("error", () => {});
  if (socket.readyState === 0) socket.addEventListener?.("open", () => socket.close());
}
