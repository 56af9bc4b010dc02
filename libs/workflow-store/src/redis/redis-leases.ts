import type { Lease } from '../workflow.types.js';
import { scriptRefusal, ScriptStatus } from './redis-errors.js';
import { isoTime } from './iso-time.js';

/** The `{ 1, token, owner, expiresMs }` reply of acquire-lease / renew-lease, or its refusal as a typed error. */
export function leaseOf(id: string, reply: unknown[], token?: number): Lease {
  if (Number(reply[0]) !== ScriptStatus.Applied) throw scriptRefusal(reply, id, undefined, undefined, token);
  return { id, token: Number(reply[1]), owner: String(reply[2]), expiresAt: isoTime(Number(reply[3])) };
}
