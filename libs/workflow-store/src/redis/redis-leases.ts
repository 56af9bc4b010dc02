import { WorkflowStoreError } from '../errors/workflow-store.error.js';
import type { Lease, LeaseView } from '../workflow.types.js';
import { scriptRefusal, ScriptStatus } from './redis-errors.js';
import { isoTime } from './iso-time.js';

/** The `{ 1, token, owner, expiresMs }` reply of acquire-lease / renew-lease, or its refusal as a typed error. */
export function leaseOf(id: string, reply: unknown[], token?: number): Lease {
  if (Number(reply[0]) !== ScriptStatus.Applied) throw scriptRefusal(reply, id, undefined, undefined, token);
  return { id, token: Number(reply[1]), owner: String(reply[2]), expiresAt: isoTime(Number(reply[3])) };
}

/** The states of the shard's lease hash (see lua/includes/common.lua) as `getLease` names them. */
const VIEW_STATES: Record<string, LeaseView['state']> = { H: 'held', X: 'expired', R: 'released', W: 'cleared' };

/** The reply of lease-2.lua: `{}` (no workflow, or no lease in its life) or `{ token, owner, expiresMs, state }`. */
export function leaseViewOf(id: string, reply: unknown[]): LeaseView | null {
  if (reply.length === 0) return null;
  const state = VIEW_STATES[String(reply[3])];
  if (!state) throw new WorkflowStoreError('internal', `lease of ${id}: unknown lease state ${String(reply[3])} in Redis`);
  return { id, token: Number(reply[0]), owner: String(reply[1]), expiresAt: isoTime(Number(reply[2])), state };
}
