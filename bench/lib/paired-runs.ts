import type { Measurement } from './measure.js';
import { medianOf } from './stats.js';

export interface PairedResult {
  subject: Measurement;
  baseline: Measurement;
  subjectRuns: Measurement[];
  baselineRuns: Measurement[];
}

/**
 * Runs the store's figure and its baseline `rounds` times each, alternating which goes first so that drift in a
 * shared machine's load falls on both, and returns the medians.
 */
export async function pairedRuns(
  rounds: number,
  subject: () => Promise<Measurement>,
  baseline: () => Promise<Measurement>,
): Promise<PairedResult> {
  const subjectRuns: Measurement[] = [];
  const baselineRuns: Measurement[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      baselineRuns.push(await baseline());
      subjectRuns.push(await subject());
    } else {
      subjectRuns.push(await subject());
      baselineRuns.push(await baseline());
    }
  }
  return { subject: medianOf(subjectRuns), baseline: medianOf(baselineRuns), subjectRuns, baselineRuns };
}
