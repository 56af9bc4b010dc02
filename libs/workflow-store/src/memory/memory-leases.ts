import { LeaseHeldError } from '../errors/lease-held.error.js';
import { LeaseLostError } from '../errors/lease-lost.error.js';
import type { Lease, LeaseView } from '../workflow.types.js';

/** H held, R released, X expired without release (the workflow is stalled), W cleared by a write after it expired. */
type LeaseState = 'H' | 'R' | 'X' | 'W';

interface LeaseRecord {
  token: number;
  owner: string;
  expiresMs: number;
  state: LeaseState;
}

/**
 * The memory backend's leases of one tenant, with exactly the rules of the Redis scripts (lua/includes/common.lua):
 * tokens above every earlier one and at least the time in ms × 1000, fencing of every write, stalled marks set by
 * the sweep and cleared by an acquisition, a release or a write.
 */
export class MemoryLeases {
  private readonly leases = new Map<string, LeaseRecord>();
  /** The highest token issued in this tenant (the Redis scripts keep one per shard): never issued twice. */
  private lastToken = 0;

  /** The lease, when it is live (held and not expired). */
  private live(lease: LeaseRecord | undefined, now: number): LeaseRecord | undefined {
    return lease !== undefined && lease.state === 'H' && lease.expiresMs > now ? lease : undefined;
  }

  /** Throws unless a write with `token` (or none) may go ahead. */
  fence(id: string, token: number | undefined, now = Date.now()): void {
    const lease = this.leases.get(id);
    const live = this.live(lease, now);
    if (token === undefined) {
      if (live) throw new LeaseHeldError(id, live.owner, new Date(live.expiresMs).toISOString());
      return;
    }
    if (live?.token !== token) throw new LeaseLostError(id, token, lease?.token ?? 0);
  }

  /** A write went ahead: a lease that expired without release no longer marks the workflow stalled. */
  afterWrite(id: string, now = Date.now()): void {
    const lease = this.leases.get(id);
    if (lease && (lease.state === 'X' || (lease.state === 'H' && lease.expiresMs <= now))) lease.state = 'W';
  }

  acquire(id: string, owner: string, ttlMs: number, now = Date.now()): Lease {
    const lease = this.leases.get(id);
    const live = this.live(lease, now);
    if (live) throw new LeaseHeldError(id, live.owner, new Date(live.expiresMs).toISOString());
    this.lastToken = Math.max((lease?.token ?? 0) + 1, this.lastToken + 1, now * 1000);
    const acquired: LeaseRecord = { token: this.lastToken, owner, expiresMs: now + ttlMs, state: 'H' };
    this.leases.set(id, acquired);
    return leaseOf(id, acquired);
  }

  renew(id: string, token: number, ttlMs: number, now = Date.now()): Lease {
    this.fence(id, token, now);
    const lease = this.leases.get(id) as LeaseRecord;
    lease.expiresMs = now + ttlMs;
    return leaseOf(id, lease);
  }

  /** Throws `LeaseLostError` unless `token` is the last lease's and it has not ended (held, or expired without anyone acquiring it since). */
  checkRelease(id: string, token: number): void {
    const lease = this.leases.get(id);
    if (!lease || lease.token !== token || (lease.state !== 'H' && lease.state !== 'X')) throw new LeaseLostError(id, token, lease?.token ?? 0);
  }

  /** Ends the last lease of `id`; the caller has passed `checkRelease` for its token. Returns it, for the event. */
  markReleased(id: string): Lease {
    const lease = this.leases.get(id) as LeaseRecord;
    lease.state = 'R';
    return leaseOf(id, lease);
  }

  /** The last lease as stored, its state decided at `now` as lease-2.lua decides it; null when there is none. */
  view(id: string, now = Date.now()): LeaseView | null {
    const lease = this.leases.get(id);
    if (!lease) return null;
    const state = lease.state === 'H' && lease.expiresMs <= now ? 'X' : lease.state;
    return { ...leaseOf(id, lease), state: VIEW_STATES[state] };
  }

  drop(id: string): void {
    this.leases.delete(id);
  }

  isStalled(id: string): boolean {
    return this.leases.get(id)?.state === 'X';
  }

  /** Marks held leases that have expired: their workflows are stalled. Returns them, for the lease-expired events. */
  sweep(now = Date.now()): Lease[] {
    const expired: Lease[] = [];
    for (const [id, lease] of this.leases) {
      if (lease.state === 'H' && lease.expiresMs <= now) {
        lease.state = 'X';
        expired.push(leaseOf(id, lease));
      }
    }
    return expired;
  }
}

const VIEW_STATES: Record<LeaseState, LeaseView['state']> = { H: 'held', X: 'expired', R: 'released', W: 'cleared' };

function leaseOf(id: string, lease: LeaseRecord): Lease {
  return { id, token: lease.token, owner: lease.owner, expiresAt: new Date(lease.expiresMs).toISOString() };
}
