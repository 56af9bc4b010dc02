import { performance } from 'node:perf_hooks';
import type { ValidatingWorkflowStore } from '#workflow-store';
import type { JsonDoc } from './documents.js';

const TYPES = ['invoice', 'contract', 'receipt', 'form'];
const STATUSES = ['created', 'extracted', 'review', 'approved'];

/**
 * Writes `count` workflows through the store's own save path (so records, indexes and TTLs are exactly what the
 * store writes), `concurrency` at a time. Returns the seconds it took.
 */
export async function fillStore(
  store: ValidatingWorkflowStore,
  idPrefix: string,
  count: number,
  state: (n: number) => JsonDoc,
  concurrency = 512,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let n = next++; n < count; n = next++) {
      await store.save(`${idPrefix}${n}`, { type: TYPES[n % TYPES.length], status: STATUSES[(n >> 2) % STATUSES.length], state: state(n) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - start) / 1000;
}
