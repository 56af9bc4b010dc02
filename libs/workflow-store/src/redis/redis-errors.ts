import { AlreadyExistsError } from '../errors/already-exists.error.js';
import { LeaseHeldError } from '../errors/lease-held.error.js';
import { LeaseLostError } from '../errors/lease-lost.error.js';
import { isoTime } from './iso-time.js';
import { IdempotencyKeyReusedError } from '../errors/idempotency-key-reused.error.js';
import { NotFoundError } from '../errors/not-found.error.js';
import { OutcomeUnknownError } from '../errors/outcome-unknown.error.js';
import { StorageFullError } from '../errors/storage-full.error.js';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import { VersionConflictError } from '../errors/version-conflict.error.js';
import { WorkflowStoreError } from '../errors/workflow-store.error.js';
import { WrittenSinceError } from '../errors/written-since.error.js';

/** The status codes the Lua scripts return (first element of every reply); see each script's header. */
export enum ScriptStatus {
  Applied = 1,
  Replayed = 2,
  Exists = -1,
  VersionMismatch = -2,
  Missing = -3,
  Expired = -4,
  StoredIsNewer = -5,
  KeyReused = -6,
  LeaseHeld = -7,
  LeaseLost = -8,
  /** save-12 given a version stamp: the version matches, the write that made it does not (see WrittenSinceError). */
  WrittenSince = -9,
}

/** The one place a script's refusal becomes a typed error. */
export function scriptRefusal(reply: unknown[], id: string, expectedVersion?: number, operationId?: string, leaseToken?: number): WorkflowStoreError {
  const status = Number(reply[0]);
  switch (status) {
    case ScriptStatus.Exists:
      return new AlreadyExistsError(id, Number(reply[1]));
    case ScriptStatus.VersionMismatch:
      return new VersionConflictError(id, expectedVersion ?? 0, Number(reply[1]));
    case ScriptStatus.Missing:
      return new NotFoundError(id);
    case ScriptStatus.KeyReused:
      return new IdempotencyKeyReusedError(id, operationId ?? '');
    case ScriptStatus.LeaseHeld:
      return new LeaseHeldError(id, String(reply[1]), isoTime(Number(reply[2])));
    case ScriptStatus.LeaseLost:
      return new LeaseLostError(id, leaseToken ?? 0, Number(reply[1]));
    case ScriptStatus.WrittenSince:
      return new WrittenSinceError(id, Number(reply[1]));
    default:
      return new WorkflowStoreError('internal', `unexpected script reply ${JSON.stringify(reply)} for ${id}`);
  }
}

/**
 * Server replies that mean "not executed, try again later". READONLY: a replica (a demoted master after a failover)
 * refused the write; NOREPLICAS: `min-replicas-to-write` not met; CLUSTERDOWN / TRYAGAIN: the cluster cannot serve
 * the slot now, or a script's keys are half migrated; MASTERDOWN: a replica lost its master. MISCONF: Redis refuses writes after a failed RDB save
 * or AOF write (stop-writes-on-bgsave-error, a full disk) until persistence works again.
 */
const UNAVAILABLE_REPLIES = ['LOADING', 'MISCONF', 'BUSY', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'READONLY', 'NOREPLICAS', 'NOAUTH', 'WRONGPASS', 'NOPERM'];

/** ioredis messages raised before a command was written to the socket. */
const NOT_SENT = ["Stream isn't writeable", 'enableOfflineQueue'];

/**
 * Maps anything ioredis or Redis threw to the store's typed errors. A write whose fate is unknown (sent, reply
 * lost) is never reported as "not stored": it becomes `OutcomeUnknownError`.
 * Only commands sent on a ready connection get here (the backend refuses to send otherwise).
 */
export function mapRedisError(error: unknown, operation: string, isWrite: boolean): WorkflowStoreError {
  if (error instanceof WorkflowStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = message.split(' ', 1)[0] ?? '';
  if (code === 'OOM') return new StorageFullError(`${operation} refused: Redis is out of memory (maxmemory reached)`, { cause: error });
  if (UNAVAILABLE_REPLIES.includes(code)) {
    return new StoreUnavailableError(`${operation} refused by Redis: ${message}`, { cause: error });
  }
  // ioredis Cluster gave up following MOVED/ASK/TRYAGAIN: the command never ran.
  if (message.startsWith('Too many Cluster redirections')) {
    return new StoreUnavailableError(`${operation} refused by Redis Cluster: ${message}`, { cause: error });
  }
  if (error instanceof Error && error.name === 'ReplyError') {
    return new WorkflowStoreError('internal', `${operation} failed in Redis: ${message}`, { cause: error });
  }
  const notSent = NOT_SENT.some((m) => message.includes(m));
  if (isWrite && !notSent) {
    return new OutcomeUnknownError(
      `${operation}: no reply from Redis (${message}); the write may or may not have been applied — retry with the same operation id`,
      { cause: error },
    );
  }
  return new StoreUnavailableError(`${operation}: Redis unavailable (${message})`, { cause: error });
}

/**
 * REDIS_DURABILITY=replica: the write script was applied on the master, but `WAIT 1` saw no replica confirm it in
 * time (`replicas`: how many did), or WAIT itself failed. A failover now could lose the write, so it is not a success.
 */
export function unconfirmedWrite(operation: string, id: string, timeoutMs: number, replicas: number | unknown): OutcomeUnknownError {
  const what = typeof replicas === 'number' ? `confirmed by ${replicas} replicas within ${timeoutMs} ms` : `not confirmed (WAIT failed: ${replicas instanceof Error ? replicas.message : String(replicas)})`;
  return new OutcomeUnknownError(
    `${operation} of ${id}: applied on the Redis master but ${what}; REDIS_DURABILITY=replica needs 1 replica — a failover could lose it, retry with the same operation id`,
    typeof replicas === 'number' ? undefined : { cause: replicas },
  );
}
