import type { Measurement } from './measure.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Each figure's median over the runs, taken separately (ops/s, p50, p99); errors are summed; max is the largest. */
export function medianOf(runs: Measurement[]): Measurement {
  const maxes = runs.flatMap((r) => (r.maxMs === undefined ? [] : [r.maxMs]));
  return {
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    ...(maxes.length > 0 ? { maxMs: Math.max(...maxes) } : {}),
    ops: runs.reduce((sum, r) => sum + r.ops, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}
