/**
 * Kicks: the api and workers functions call kickDispatch(env) right after a job transition wrote outbox rows, so
 * its webhooks leave within milliseconds instead of at the next cron tick (10 s). It POSTs
 * `<SUPABASE_URL>/functions/v1/dispatch/run` with `{"wait": false, "sweeps": false}` and the dispatch secret; the
 * dispatcher answers at once and sends in the background. Fire and forget: under the Edge Runtime the request is
 * handed to EdgeRuntime.waitUntil so the caller's isolate lives until it is sent, and a failed kick only means the
 * cron (or the next kick) sends the webhook. Kicks within `coalesceMs` of each other share one request: the first
 * goes at once, the others as one more when the window ends, so a burst of transitions costs two requests.
 *
 * Usage, in a route after the transition committed:
 *   kickDispatch(deps.config);   // { SUPABASE_URL, KILN_DISPATCH_SECRET }
 */
import { waitUntil } from "./wait_until.ts";

export interface KickTarget {
  SUPABASE_URL: string;
  /** Unset: kicks are off (the cron still runs the dispatcher). */
  KILN_DISPATCH_SECRET?: string;
}

export interface KickerOptions {
  fetch?: typeof fetch;
  coalesceMs?: number;
  onError?: (error: unknown) => void;
}

/** A kick function for one dispatcher: coalesces, sends, never throws. */
export function dispatchKicker(target: Required<KickTarget>, options: KickerOptions = {}): () => void {
  const send = options.fetch ?? fetch;
  const coalesceMs = options.coalesceMs ?? 20;
  const url = `${target.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1/dispatch/run`;
  let windowOpen = false;
  let again = false;
  const post = () => {
    const request = send(url, {
      method: "POST",
      headers: { authorization: `Bearer ${target.KILN_DISPATCH_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ wait: false, sweeps: false, source: "kick" }),
    }).then(
      (response) => response.body?.cancel(),
      (error) => options.onError?.(error),
    );
    waitUntil(request);
  };
  const closeWindow = () => {
    if (again) {
      again = false;
      post();
      setTimeout(closeWindow, coalesceMs);
    } else {
      windowOpen = false;
    }
  };
  return () => {
    if (windowOpen) {
      again = true;
      return;
    }
    windowOpen = true;
    post();
    setTimeout(closeWindow, coalesceMs);
  };
}

const kickers = new Map<string, () => void>();

/** Kicks the dispatcher named by `env` (one coalescing kicker per URL and secret in this isolate). No secret: no-op. */
export function kickDispatch(env: KickTarget): void {
  const secret = env.KILN_DISPATCH_SECRET;
  if (!secret) return;
  const key = `${env.SUPABASE_URL} ${secret}`;
  let kick = kickers.get(key);
  if (!kick) {
    kick = dispatchKicker({ SUPABASE_URL: env.SUPABASE_URL, KILN_DISPATCH_SECRET: secret });
    kickers.set(key, kick);
  }
  kick();
}
