import type { Measurement } from './measure.js';

/** A byte count (or any value with a unit: % of a core, MiB) in a Comparison's measurement slot (rows with a `unit`). */
export const bytesOnly = (value: number): Measurement => ({ opsPerSec: value, p50Ms: NaN, p99Ms: NaN, ops: 0, errors: 0 });

/**
 * One row of the report: a figure of the store against its baseline, measured in the same run.
 * `ratio` is always "store ÷ baseline" in the unit the target is stated in (see `ratioMeaning`).
 */
export interface Comparison {
  group: string;
  figure: string;
  size: string;
  subjectLabel: string;
  baselineLabel: string;
  subject: Measurement;
  baseline: Measurement;
  ratio: number;
  ratioMeaning: string;
  /** e.g. "≥ 0.85"; absent for rows shown for information only. */
  target?: string;
  pass?: boolean;
  note?: string;
  /** Rows of bytes, not timings: the unit after each figure (e.g. "B/workflow", "B of JSON"); no latencies shown. */
  unit?: { subject: string; baseline: string };
}

/** Ratio of throughputs (higher is better for the store), checked against a lower bound. */
export function throughputComparison(
  base: Omit<Comparison, 'ratio' | 'ratioMeaning' | 'pass' | 'target'>,
  minRatio: number | undefined,
): Comparison {
  const ratio = base.subject.opsPerSec / base.baseline.opsPerSec;
  return {
    ...base,
    ratio,
    ratioMeaning: 'ops/s ÷ baseline ops/s',
    ...(minRatio === undefined ? {} : { target: `≥ ${minRatio}`, pass: ratio >= minRatio }),
  };
}

/**
 * Ratio of p99 latencies (lower is better for the store; the baseline is the floor the path cannot beat), checked
 * against an absolute bound on the store's p99; any error (a missed event) fails the row too.
 */
export function latencyComparison(
  base: Omit<Comparison, 'ratio' | 'ratioMeaning' | 'pass' | 'target'>,
  maxP99Ms: number | undefined,
): Comparison {
  const ratio = base.subject.p99Ms / base.baseline.p99Ms;
  return {
    ...base,
    ratio,
    ratioMeaning: 'p99 ms ÷ baseline p99 ms',
    ...(maxP99Ms === undefined
      ? {}
      : { target: `p99 ≤ ${maxP99Ms} ms, none missed`, pass: base.subject.p99Ms <= maxP99Ms && base.subject.errors === 0 }),
  };
}
