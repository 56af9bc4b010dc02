import { PreconditionFailedProblem } from './errors.js';
import { sleep, type RetryPolicy } from './retry.js';
import type { JsonObject, ReplaceInput, Workflow } from './types.js';

/** Computes the new state from the current one; may be async. Called again (with the fresh state) after a 412. */
export type Updater<S extends JsonObject> = (state: S, workflow: Workflow<S>) => S | Promise<S>;

export interface UpdateOptions {
  /** Read-modify-write rounds before giving up with the last 412 (default 10). */
  maxAttempts?: number;
  /** Set with the new state; omitted ones stay as stored. */
  status?: string;
  type?: string;
  /** The workflow's live lease, when it has one. */
  leaseToken?: number;
  signal?: AbortSignal;
}

/** What the loop needs of the client: a read and a compare-and-set write. */
export interface CasClient {
  get<S extends JsonObject>(id: string, options?: { signal?: AbortSignal }): Promise<Workflow<S>>;
  put<S extends JsonObject>(id: string, body: ReplaceInput<S>, options: { ifMatch: number; leaseToken?: number; signal?: AbortSignal }): Promise<Workflow<S>>;
}

const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * Optimistic concurrency over HTTP: GET, apply `fn`, PUT with `If-Match: "<version read>"`. A 412 means another
 * writer got in between: read again and reapply, after a short random pause so the losers of one race do not all
 * collide again. Each round's PUT is a new request (another If-Match), so it gets its own Idempotency-Key; the
 * transport retries a round's 503s with that round's key. Throws the last 412 once `maxAttempts` rounds lost, and
 * anything else (404, lease problems) at once.
 */
export async function updateLoop<S extends JsonObject>(client: CasClient, retry: RetryPolicy, id: string, fn: Updater<S>, options: UpdateOptions = {}): Promise<Workflow<S>> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be a whole number of at least 1');
  const { signal, leaseToken, status, type } = options;
  for (let round = 1; ; round++) {
    const current = await client.get<S>(id, { signal });
    const state = await fn(structuredClone(current.state), current);
    try {
      return await client.put<S>(id, { state, status, type }, { ifMatch: current.version, leaseToken, signal });
    } catch (error) {
      if (!(error instanceof PreconditionFailedProblem) || round >= maxAttempts) throw error;
    }
    await sleep(Math.random() * retry.baseDelayMs * Math.min(round, 4) * 0.5, signal);
  }
}
