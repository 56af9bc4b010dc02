import { StateTooLargeError } from '../errors/state-too-large.error.js';
import { VersionConflictError } from '../errors/version-conflict.error.js';
import { WrittenSinceError } from '../errors/written-since.error.js';
import type { JsonObject } from '../workflow.types.js';
import type { Idempotency } from './idempotency.js';
import type { KnownStates } from './known-states.js';
import { applyMergePatch } from './merge-patch.js';
import type { CachedState } from './state-cache.js';
import { serializeState } from './state-json.js';
import type { StorageBackend, WriteReply } from './storage-backend.js';

export interface KnownUpdate {
  id: string;
  type: string | undefined;
  status: string | undefined;
  /** The caller's patch, a private copy (the merged state may share its members). */
  statePatch: JsonObject | undefined;
  /** The caller's expected version, if any (the cached state is at it). */
  expectedVersion: number | undefined;
  idempotency: Idempotency | undefined;
  leaseToken: number | undefined;
}

/**
 * An update merged onto the state this process last read or wrote (`known`), without reading: the backend writes
 * only if the stored version is still that state's (its version and the write that made it, so not another life of
 * the id), in the same atomic step as its other checks (replay first, then lease, version). Returns the reply and
 * the merged state (a private copy), or undefined when the cached state cannot be used — another life of the id,
 * another writer first on an unconditional update, a merge too large for this state — and the caller reads instead.
 * A stale expected version stays a VersionConflictError, as with a read.
 */
export async function updateKnown(
  backend: StorageBackend,
  known: KnownStates,
  cached: CachedState,
  update: KnownUpdate,
  maxStateBytes: number,
): Promise<{ reply: WriteReply; state: JsonObject } | undefined> {
  const current = JSON.parse(cached.stateJson) as JsonObject;
  const state = update.statePatch === undefined ? current : (applyMergePatch(current, update.statePatch) as JsonObject);
  let stateJson = cached.stateJson;
  if (update.statePatch !== undefined) {
    try {
      stateJson = serializeState(state, maxStateBytes);
    } catch (error) {
      if (error instanceof StateTooLargeError) return undefined; // the stored state may differ: the read path decides
      throw error;
    }
  }
  // Type and status undefined keep the stored ones, which are the cached version's whenever the write applies.
  const write = { id: update.id, type: update.type, status: update.status, stateJson, ttlSeconds: undefined, expectedStamp: cached.stamp };
  try {
    const reply = await known.write(update.id, backend.save(write, cached.version, update.idempotency, update.leaseToken), stateJson);
    return { reply, state };
  } catch (error) {
    if (error instanceof WrittenSinceError) return undefined;
    if (error instanceof VersionConflictError && update.expectedVersion === undefined) return undefined;
    throw error;
  }
}
