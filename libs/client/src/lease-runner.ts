import { LeaseLostProblem, NotFoundProblem, PROBLEM_TYPE_PREFIX } from './errors.js';
import type { AcquireLeaseInput, Lease } from './types.js';

export interface WithLeaseOptions extends AcquireLeaseInput {
  /** Renew when this fraction of the TTL has passed (default 1/3: two renewals may fail before the lease ends). */
  renewAt?: number;
}

/** What the step gets: the token for its writes (`leaseToken`), and a signal aborted once the lease is lost. */
export type LeaseWork<T> = (token: number, signal: AbortSignal, lease: Lease) => Promise<T>;

/** What the runner needs of the client. */
export interface LeaseClient {
  acquireLease(id: string, input: AcquireLeaseInput): Promise<Lease>;
  renewLease(id: string, token: number, ttlMs: number): Promise<Lease>;
  releaseLease(id: string, token: number): Promise<void>;
}

/**
 * Runs `fn` under the workflow's lease, like the library's runStep: acquires (throws LeaseHeldProblem when someone
 * holds it), renews every `renewAt` × TTL in the background, passes the token, releases at the end. When a renewal
 * finds the lease lost — or renewals kept failing until the lease ran out on our clock — the signal aborts and
 * withLease rejects with a LeaseLostProblem, even if `fn` finished: the service refused every write of this step
 * made after the loss, so its work may be incomplete. A workflow deleted by the step ends the renewals quietly.
 */
export async function withLease<T>(client: LeaseClient, id: string, options: WithLeaseOptions, fn: LeaseWork<T>): Promise<T> {
  const { owner, ttlMs } = options;
  const acquiredAt = Date.now();
  const lease = await client.acquireLease(id, { owner, ttlMs });
  const controller = new AbortController();
  let lost: LeaseLostProblem | undefined;
  let stopped = false;
  let gone = false;
  let validUntil = acquiredAt + ttlMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let renewal: Promise<void> | undefined;

  const lose = (error: LeaseLostProblem): void => {
    if (lost) return;
    lost = error;
    controller.abort(error);
  };
  const renew = async (): Promise<void> => {
    const sentAt = Date.now();
    try {
      await client.renewLease(id, lease.token, ttlMs);
      validUntil = sentAt + ttlMs;
    } catch (error) {
      if (stopped) return;
      if (error instanceof LeaseLostProblem) lose(error);
      // Deleted: while the lease lived only its holder could (with the token), so this step did; its lease went with it.
      else if (error instanceof NotFoundProblem) gone = true;
      // Another failure (the service briefly away) is retried at the next tick, unless the lease has run out meanwhile.
      else if (Date.now() >= validUntil) lose(localLoss(id, lease.token, `renewals failed until it expired (${String((error as Error).message)})`));
    }
  };
  const schedule = (): void => {
    if (stopped || lost || gone) return;
    timer = setTimeout(() => {
      renewal = renew().finally(schedule);
    }, Math.max(10, Math.floor(ttlMs * (options.renewAt ?? 1 / 3))));
    // Node: a pending renewal alone must not keep the process alive (browsers have no unref).
    (timer as { unref?: () => void }).unref?.();
  };
  schedule();

  const stop = async (): Promise<void> => {
    stopped = true;
    clearTimeout(timer);
    await renewal; // a renewal in flight must not race the release (nor go unnoticed if it found the lease lost)
  };
  try {
    const result = await fn(lease.token, controller.signal, lease);
    await stop();
    if (lost) throw lost;
    return result;
  } catch (error) {
    await stop();
    throw lost && error instanceof LeaseLostProblem ? lost : error;
  } finally {
    // A failed release leaves a lease that expires by itself: the step's outcome stands either way.
    if (!lost) await client.releaseLease(id, lease.token).catch(() => undefined);
  }
}

function localLoss(id: string, token: number, why: string): LeaseLostProblem {
  return new LeaseLostProblem({
    type: `${PROBLEM_TYPE_PREFIX}lease-lost`,
    title: 'The lease token is no longer current',
    status: 409,
    detail: `lease token ${token} of workflow ${id} is no longer current: ${why}`,
  });
}
