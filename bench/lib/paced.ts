import { performance } from 'node:perf_hooks';

export interface PacedRun {
  /** Calls made. */
  fired: number;
  /** From the first call's due time to the last call. */
  seconds: number;
  /** Latest a call came after its due time (timer granularity, a busy event loop). */
  maxLagMs: number;
}

/**
 * Calls `fire(n)` for n = 0, 1, … at `rate` per second for `durationMs`: call n is due `n × 1000 / rate` ms after the
 * start and made as soon as the event loop gets there (timers wake about once a millisecond, so at 1 000/s calls
 * come one or two at a time). A late loop catches up: calls are never dropped, only late.
 */
export async function paced(rate: number, durationMs: number, fire: (n: number) => void): Promise<PacedRun> {
  const total = Math.floor((rate * durationMs) / 1000);
  const intervalMs = 1000 / rate;
  const start = performance.now();
  let fired = 0;
  let maxLagMs = 0;
  while (fired < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    for (; fired < due; fired++) {
      maxLagMs = Math.max(maxLagMs, now - (start + fired * intervalMs));
      fire(fired);
    }
    if (fired >= total) break;
    const wait = start + fired * intervalMs - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  return { fired, seconds: (performance.now() - start) / 1000, maxLagMs };
}
