/** What every page shares: an action that reports its failure, a refusal shown with its request id, a secret shown once, polling. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { describeError } from "./api.ts";

/**
 * `[failure, run]`: `run(action)` clears the last failure, awaits the action and keeps what it threw as the
 * message and request id a page shows.
 */
export function useAction(): [string | undefined, (action: () => Promise<unknown>) => Promise<void>] {
  const [failure, setFailure] = useState<string>();
  const run = async (action: () => Promise<unknown>) => {
    setFailure(undefined);
    try {
      await action();
    } catch (error) {
      setFailure(describeError(error));
    }
  };
  return [failure, run];
}

export function Failure({ text }: { text: string | undefined }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}

/** A secret the API shows only once (a key, a signing secret), with a copy button. */
export function SecretOnce({ label, secret }: { label: string; secret: string | undefined }) {
  if (!secret) return null;
  return (
    <section aria-label={label}>
      <p>Store this secret now: it is not shown again.</p>
      <p class="secret">{secret}</p>
      <button type="button" onClick={() => void navigator.clipboard.writeText(secret)}>
        Copy
      </button>
    </section>
  );
}

/**
 * Calls `load` now and every `everyMs` while the tab is visible: for what Kiln does not broadcast over Realtime
 * (webhook deliveries, the admin's views of every account), so those pages are live too.
 */
export function usePolling(load: () => Promise<unknown>, everyMs: number, deps: unknown[] = []): void {
  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, everyMs);
    return () => clearInterval(timer);
  }, deps);
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "never");
