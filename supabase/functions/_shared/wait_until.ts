/**
 * Work that must outlive the response that started it. Supabase's Edge Runtime keeps the isolate alive for a
 * promise given to EdgeRuntime.waitUntil; elsewhere (Node, the local stack) a pending promise keeps running anyway.
 */

interface EdgeRuntimeGlobal {
  EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void };
}

/** Lets `promise` finish after the response. A rejection is dropped here: log it in the promise itself. */
export function waitUntil(promise: Promise<unknown>): void {
  const settled = promise.catch(() => {});
  (globalThis as EdgeRuntimeGlobal).EdgeRuntime?.waitUntil(settled);
}
