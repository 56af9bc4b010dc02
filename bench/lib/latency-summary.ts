import type { Measurement } from './measure.js';

/** The value at percentile `p` (nearest rank) of ascending `sorted`. */
export function percentileOf(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * Delivery latencies (ms) of one run as a Measurement: p50, p99 and max of `latencies`, `opsPerSec` the deliveries
 * per second of the run (`latencies.length` ÷ `seconds`), `errors` the deliveries that never came.
 */
export function latencyMeasurement(latencies: Float64Array, seconds: number, missed: number): Measurement {
  const sorted = latencies.slice().sort();
  return {
    opsPerSec: sorted.length / seconds,
    p50Ms: percentileOf(sorted, 50),
    p99Ms: percentileOf(sorted, 99),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
    ops: sorted.length,
    errors: missed,
  };
}

/** "p50 / p99 / max" of a latency Measurement, for notes. */
export function latencyText(m: Measurement): string {
  const f = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  return `${f(m.p50Ms)} / ${f(m.p99Ms)} / ${f(m.maxMs)} ms`;
}
