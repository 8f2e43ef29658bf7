/**
 * The dispatcher as the local stack runs it, with no pg_cron: a pass every second (sweeps, then whatever is due),
 * and at once when a delivery is written (NOTIFY kiln_dispatch, which the stack switches on with
 * `kiln.dispatch_notify`). The wait between passes is cut short by a NOTIFY or by stop(); stop() waits for the
 * pass in flight.
 */
import type { LogLine } from "../../supabase/functions/_shared/http/request_context.ts";

export interface DispatchLoopDeps {
  /** One pass: the sweeps when `sweeps`, then delivery until nothing is due. */
  runOnce(sweeps: boolean): Promise<unknown>;
  /** Calls `wake` on every NOTIFY kiln_dispatch; resolves to what stops listening. */
  listen(wake: () => void): Promise<() => Promise<void>>;
  log: LogLine;
  intervalMs?: number;
}

export class DispatchLoop {
  private readonly deps: DispatchLoopDeps;
  private stopped = false;
  private woken = false;
  private resolveWait: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(deps: DispatchLoopDeps) {
    this.deps = deps;
  }

  /** Listens, then loops until stop(). */
  async start(): Promise<void> {
    this.unlisten = await this.deps.listen(() => this.wake());
    if (this.stopped) return;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resolveWait?.();
    await this.running;
    await this.unlisten?.().catch(() => {});
  }

  private wake(): void {
    this.woken = true;
    this.resolveWait?.();
  }

  private async loop(): Promise<void> {
    const interval = this.deps.intervalMs ?? 1000;
    let nextTick = 0;
    while (!this.stopped) {
      const tick = Date.now() >= nextTick;
      if (tick) nextTick = Date.now() + interval;
      this.woken = false;
      try {
        await this.deps.runOnce(tick);
      } catch (error) {
        this.deps.log({ level: "error", msg: "dispatch pass failed", error: String(error) });
      }
      if (this.woken || this.stopped) continue;
      await new Promise<void>((resolve) => {
        this.resolveWait = resolve;
        setTimeout(resolve, Math.max(0, nextTick - Date.now()));
      });
      this.resolveWait = undefined;
    }
  }
}
