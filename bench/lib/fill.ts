import { performance } from 'node:perf_hooks';
import type { ValidatingWorkflowStore } from '#workflow-store';
import type { JsonDoc } from './documents.js';

const TYPES = ['invoice', 'contract', 'receipt', 'form'];
const STATUSES = ['created', 'extracted', 'review', 'approved'];

export interface Labels {
  type: string;
  status: string;
}

/** 4 types × 4 statuses, each pair on 1/16 of the workflows. */
export const commonLabels = (n: number): Labels => ({ type: TYPES[n % TYPES.length] as string, status: STATUSES[(n >> 2) % STATUSES.length] as string });

/** The filter that `rareLabels` makes sparse: type `invoice` (25 % of workflows) and status `flagged` (1 %). */
export const RARE_FILTER: Labels = { type: 'invoice', status: 'flagged' };

/** As `commonLabels`, except every 100th workflow (always an invoice) has status `flagged`: RARE_FILTER matches 1 %. */
export const rareLabels = (n: number): Labels => (n % 100 === 0 ? RARE_FILTER : commonLabels(n));

/**
 * An id whose place in the index has nothing to do with when it was written (a bijective 32-bit multiplicative
 * hash of n): like random ids in production, neighbours in a list page are not neighbours in Redis' memory.
 */
export const scatteredId = (prefix: string, n: number): string => `${prefix}${(Math.imul(n, 0x9e3779b1) >>> 0).toString(36)}`;

export interface FillOptions {
  /** Saves in flight (default 512). */
  concurrency?: number;
  labels?: (n: number) => Labels;
  /** The id of workflow n (default `${idPrefix}${n}`). */
  idOf?: (idPrefix: string, n: number) => string;
}

/**
 * Writes `count` workflows through the store's own save path (so records, indexes and TTLs are exactly what the
 * store writes), `concurrency` at a time. Returns the seconds it took.
 */
export async function fillStore(
  store: ValidatingWorkflowStore,
  idPrefix: string,
  count: number,
  state: (n: number) => JsonDoc,
  { concurrency = 512, labels = commonLabels, idOf = (prefix, n) => `${prefix}${n}` }: FillOptions = {},
): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let n = next++; n < count; n = next++) {
      await store.save(idOf(idPrefix, n), { ...labels(n), state: state(n) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - start) / 1000;
}
