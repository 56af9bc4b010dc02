import { performance } from 'node:perf_hooks';

/** One timed run of an operation. Latencies in milliseconds. */
export interface Measurement {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The slowest one, where a figure reports it (the change-feed latencies); absent elsewhere. */
  maxMs?: number;
  ops: number;
  errors: number;
}

export interface LoadShape {
  /** Operations kept in flight at once. */
  concurrency: number;
  durationMs: number;
  /** Run unmeasured first (JIT, connection buffers, script cache). */
  warmupMs: number;
}

/** An operation; `worker` is 0..concurrency-1 and stable for a loop, so each worker can own its own key. */
export type Operation = (worker: number) => Promise<unknown>;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * Keeps `concurrency` operations in flight for `durationMs` and times each one with a monotonic clock. A failed
 * operation is counted, not timed, and the run goes on: the caller decides whether errors void the figure.
 */
export async function measure(op: Operation, shape: LoadShape): Promise<Measurement> {
  await loop(op, shape.concurrency, shape.warmupMs, null);
  const latencies: number[] = [];
  const start = performance.now();
  const errors = await loop(op, shape.concurrency, shape.durationMs, latencies);
  const elapsedMs = performance.now() - start;
  const sorted = Float64Array.from(latencies).sort();
  return {
    opsPerSec: (latencies.length * 1000) / elapsedMs,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    ops: latencies.length,
    errors,
  };
}

async function loop(op: Operation, concurrency: number, durationMs: number, latencies: number[] | null): Promise<number> {
  const end = performance.now() + durationMs;
  let errors = 0;
  const worker = async (index: number): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await op(index);
        latencies?.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  return errors;
}
