import { NotFoundError } from '../errors/not-found.error.js';
import { VersionConflictError } from '../errors/version-conflict.error.js';
import { WorkflowStoreError } from '../errors/workflow-store.error.js';
import type { JsonObject, MutateResult, Workflow } from '../workflow.types.js';
import type { Idempotency } from './idempotency.js';
import type { KnownStates } from './known-states.js';
import { serializeState } from './state-json.js';
import type { StorageBackend } from './storage-backend.js';
import { workflowOfReply } from './workflow-of-reply.js';

/** One read-modify-write: what it writes to, under which conditions, and how often it may try. */
export interface ReadModifyWrite {
  id: string;
  expectedVersion: number | undefined;
  idempotency: Idempotency | undefined;
  leaseToken: number | undefined;
  /** Attempts when other writers win the race (1 with an expected version: a conflict is the caller's answer). */
  attempts: number;
  /** The state `next` returns is the store's own (no caller holds it), so it is returned as it is. */
  ownsState: boolean;
  maxStateBytes: number;
}

/**
 * Reads, computes the next fields and commits them with a compare-and-set on the version that was read: the
 * update of a state this process does not hold (update-known.ts is the one that does), and every mutate.
 */
export async function readModifyWrite(
  backend: StorageBackend,
  known: KnownStates,
  rmw: ReadModifyWrite,
  next: (current: Workflow) => MutateResult | Promise<MutateResult>,
): Promise<Workflow> {
  const { id, expectedVersion, idempotency, leaseToken } = rmw;
  let lastSeen = 0;
  for (let attempt = 0; attempt < rmw.attempts; attempt++) {
    const { workflow, replay } = await backend.getForWrite(id, idempotency);
    if (replay) return workflowOfReply(id, { kind: 'replayed', replay });
    if (!workflow) throw new NotFoundError(id);
    if (expectedVersion !== undefined && workflow.version !== expectedVersion) await refuseStale(backend, id, expectedVersion, leaseToken);
    const fields = await next(workflow);
    const write = {
      id,
      type: fields.type,
      status: fields.status,
      stateJson: serializeState(fields.state, rmw.maxStateBytes),
      ttlSeconds: undefined,
    };
    try {
      const reply = await known.write(id, backend.save(write, workflow.version, idempotency, leaseToken), write.stateJson);
      return workflowOfReply(id, reply, rmw.ownsState ? (fields.state as JsonObject) : undefined);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      lastSeen = error.currentVersion;
      if (expectedVersion !== undefined) throw new VersionConflictError(id, expectedVersion, error.currentVersion);
    }
  }
  throw new VersionConflictError(id, lastSeen - 1, lastSeen);
}

/**
 * A read-modify-write found a stale `expectedVersion`. The scripts check the lease before the version, so the
 * refusal must be the lease's when there is one: a save that can never apply (no workflow is at version 0) lets the
 * backend say which comes first. Always throws.
 */
async function refuseStale(backend: StorageBackend, id: string, expectedVersion: number, leaseToken: number | undefined): Promise<never> {
  try {
    await backend.save({ id, type: undefined, status: undefined, stateJson: '{}', ttlSeconds: undefined }, 0, undefined, leaseToken);
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    throw new VersionConflictError(id, expectedVersion, error.currentVersion);
  }
  throw new WorkflowStoreError('internal', `a save of ${id} at version 0 was applied`);
}
