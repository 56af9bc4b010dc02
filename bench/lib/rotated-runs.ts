import type { Measurement } from './measure.js';
import { medianOf } from './stats.js';

/**
 * Like pairedRuns for more than two figures: `rounds` runs of each, the order rotated every round (A B C, B C A,
 * C A B, …) so drift in a shared machine's load falls on all of them. Returns each figure's medians and its runs
 * (run i of every figure is from round i), in the figures' order.
 */
export async function rotatedRuns(
  rounds: number,
  figures: readonly (() => Promise<Measurement>)[],
): Promise<{ medians: Measurement[]; runs: Measurement[][] }> {
  const runs: Measurement[][] = figures.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < figures.length; k++) {
      const index = (round + k) % figures.length;
      (runs[index] as Measurement[]).push(await (figures[index] as () => Promise<Measurement>)());
    }
  }
  return { medians: runs.map(medianOf), runs };
}

/** The throughput ratio a ÷ b of each round, e.g. "0.91, 0.88, 0.95", to show how much a loaded machine moved it. */
export function roundRatios(a: readonly Measurement[], b: readonly Measurement[]): string {
  return a.map((run, i) => (run.opsPerSec / (b[i] as Measurement).opsPerSec).toFixed(2)).join(', ');
}
