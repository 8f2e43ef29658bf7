/**
 * The claim loop's sleep: `sleep(ms)` ends when the time passes or when `wake()` is called (a Realtime
 * wake-up, a slot falling free, stop). A wake that comes while nobody sleeps is kept, so the next sleep returns
 * at once: a broadcast that arrives during a claim is never lost.
 */
export class CancellableWait {
  private pending = false;
  private wakeSleeper: (() => void) | undefined;

  /** Resolves after `ms`, or at once / as soon as `wake()` is called. */
  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wakeSleeper === done) self.wakeSleeper = undefined;
        resolve();
      }
      this.wakeSleeper = done;
    });
  }

  /** Ends the current sleep, or the next one if nobody sleeps now. */
  wake(): void {
    if (this.wakeSleeper) this.wakeSleeper();
    else this.pending = true;
  }

  /** Forgets a wake that nobody has slept through yet (a claim is about to happen anyway). */
  clear(): void {
    this.pending = false;
  }
}
