/** How many times a request is tried and how long the client waits in between. */
export interface RetryOptions {
  /** Tries in all, the first included (default 4; 1 = no retry). */
  attempts?: number;
  /** The first backoff step (default 100 ms); it doubles with each retry. */
  baseDelayMs?: number;
  /** The largest backoff step (default 5000 ms). A `Retry-After` of the service is waited in full even when longer. */
  maxDelayMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 5000 };

export function retryPolicyOf(options: RetryOptions | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...dropUndefined(options ?? {}) };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new RangeError('retry.attempts must be a whole number of at least 1');
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0)) throw new RangeError('retry delays must be at least 0');
  return policy;
}

/**
 * Which failures a request may be retried after:
 * - `repeatable`: reads, writes that carry an Idempotency-Key, lease renew/release. Repeating one cannot apply it
 *   twice, so a network error, a timeout, any 503 and a 429 are retried.
 * - `once`: lease acquisition, which takes no key: a retry after an answer that was lost would meet our own lease as
 *   `lease-held`. Retried only on answers that say nothing was done (429, 503 store-unavailable / shutting-down).
 */
export type RetryClass = 'repeatable' | 'once';

/** Problem codes of 503 answers that guarantee nothing was written (outcome-unknown does not). */
const NOTHING_DONE = new Set(['store-unavailable', 'shutting-down']);

/** Whether an HTTP answer is worth another attempt; `code` is the problem's type suffix when known. */
export function retryableStatus(kind: RetryClass, status: number, code: string | undefined): boolean {
  if (status === 429) return true;
  if (status !== 503) return false;
  return kind === 'repeatable' || (code !== undefined && NOTHING_DONE.has(code));
}

/**
 * The wait before retry number `retry` (1-based): the service's Retry-After when it sent one (plus a little jitter,
 * so clients told the same second do not all come back at once), else exponential backoff with "equal jitter":
 * half the step fixed, half random.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return retryAfterMs + random() * policy.baseDelayMs;
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return step / 2 + random() * (step / 2);
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
