/**
 * The model's side of conditional touch / release and `getLease` in the lease model (lease-model.ts): which
 * expected version a command sends, and the lease view the store must answer.
 */
import fc from 'fast-check';
import type { LeaseView } from '#workflow-store';

/** No expected version, the model's current one, or one the workflow is not at. */
export type Ver = 'none' | 'current' | 'stale';
export const verArb = fc.constantFrom<Ver>('none', 'none', 'current', 'stale');

/** The expected version a command with `ver` sends, for a workflow (last) at `version`. */
export function expectedVersionOf(ver: Ver | undefined, version: number): number | undefined {
  if (ver === 'current') return version;
  if (ver === 'stale') return version + 1;
  return undefined;
}

/** H held, R released, X expired and swept (stalled), W written after it expired: as lease-model.ts keeps them. */
interface ModelLease {
  token: number;
  owner: string;
  expiresMs: number;
  state: 'H' | 'R' | 'X' | 'W';
}

/** What `getLease` must answer at `now` (no lease is within the model's guard of its expiry while a command runs). */
export function modelView(id: string, exists: boolean, lease: ModelLease | null, now: number): LeaseView | null {
  if (!exists || !lease) return null;
  const expired = lease.state === 'X' || (lease.state === 'H' && lease.expiresMs <= now);
  const state = expired ? 'expired' : lease.state === 'H' ? 'held' : lease.state === 'R' ? 'released' : 'cleared';
  return { id, token: lease.token, owner: lease.owner, expiresAt: new Date(lease.expiresMs).toISOString(), state };
}
