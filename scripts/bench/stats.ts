/** The small arithmetic the bench reports with: percentiles, rates and their display. */

/** The p-th percentile (0–100) of `samples`, nearest-rank; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Events per second for `count` events over `elapsedMs` milliseconds. */
export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : Number.NaN;
}

/** A rate for the table: `1,234 /s`. */
export function formatRate(rate: number, unit = "/s"): string {
  return `${Math.round(rate).toLocaleString("en-US")} ${unit}`;
}

/** A duration for the table: `3.42 ms`. */
export function formatMs(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}
