import { LeaseLostError } from '../errors/lease-lost.error.js';
import type { WorkflowStore } from '../workflow-store.js';
import type { Lease } from '../workflow.types.js';

/** What a step's function gets: its lease, the token to pass to every write, and a signal that aborts when the lease is lost. */
export interface StepContext {
  lease: Lease;
  /** The lease's token: pass it as `leaseToken` to every write of the workflow (`withLease` does). */
  token: number;
  /** Aborted (with the `LeaseLostError` as reason) once the lease is known to be lost: stop working. */
  signal: AbortSignal;
  /** `options` with this step's `leaseToken` added, for a write of the workflow. */
  withLease<T extends object>(options?: T): T & { leaseToken: number };
}

export interface RunStepOptions {
  /** The lease's duration (default 30 000 ms); renewed in the background long before it ends. */
  ttlMs?: number;
  /** Renew when this fraction of the TTL has passed (default 1/3: two renewals may fail before the lease ends). */
  renewAt?: number;
}

const DEFAULT_TTL_MS = 30_000;

/**
 * Runs one step of work on a workflow under its lease: acquires it (throws `LeaseHeldError` if someone else holds
 * it), renews it in the background every `renewAt` × TTL, hands `fn` the token for its writes, and releases it when
 * `fn` ends. When a renewal finds the lease gone (the process was paused past the TTL, or another holder took over)
 * the signal aborts and `runStep` rejects with `LeaseLostError`, even if `fn` finished: the store refused (or will
 * refuse) every write of this step made after the loss, so its work may be incomplete.
 */
export async function runStep<T>(store: WorkflowStore, id: string, owner: string, fn: (step: StepContext) => Promise<T>, options: RunStepOptions = {}): Promise<T> {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const lease = await store.acquireLease(id, { owner, ttlMs });
  const controller = new AbortController();
  let lost: LeaseLostError | undefined;
  const renewals = setInterval(() => {
    store.renewLease(id, lease.token, ttlMs).catch((error: unknown) => {
      // Another failure (Redis briefly away) is retried at the next tick; a lease that lapses meanwhile is lost then.
      if (!(error instanceof LeaseLostError) || lost) return;
      lost = error;
      controller.abort(error);
    });
  }, Math.max(10, Math.floor(ttlMs * (options.renewAt ?? 1 / 3))));
  renewals.unref();
  const step: StepContext = {
    lease,
    token: lease.token,
    signal: controller.signal,
    withLease: <O extends object>(writeOptions?: O) => ({ ...(writeOptions ?? ({} as O)), leaseToken: lease.token }),
  };
  try {
    const result = await fn(step);
    if (lost) throw lost;
    return result;
  } catch (error) {
    throw lost && error instanceof LeaseLostError ? lost : error;
  } finally {
    clearInterval(renewals);
    // A release that fails (Redis away, the lease lapsed just now) leaves a lease that expires by itself: the step's
    // outcome stands, so a caller never redoes a step whose writes went through.
    if (!lost) await store.releaseLease(id, lease.token).catch(() => undefined);
  }
}
