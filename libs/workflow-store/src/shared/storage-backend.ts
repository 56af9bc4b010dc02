import type { Idempotency } from './idempotency.js';
import type { ListPosition, ListRange } from './list-order.js';
import type { Lease, LeaseView, ReplayInfo, RestoreOutcome, Workflow } from '../workflow.types.js';
import type { EventPosition } from '../events/event-id.js';
import type { WatchFilter, WatchMessage, WorkflowEvent } from '../events/workflow-event.js';
import type { StoredWorkflowBytes, StoredWorkflowJson, WorkflowMeta } from '../workflow-json.js';
import type { CheckpointStorage } from '../checkpoints/checkpoint-storage.js';

/** A fully resolved new workflow, ready to store. */
export interface NewRecord {
  id: string;
  type: string;
  status: string;
  stateJson: string;
  ttlSeconds: number;
}

/** A replacement of the writable fields; `undefined` type/status/ttl keep the stored ones (or the defaults). */
export interface RecordWrite {
  id: string;
  type: string | undefined;
  status: string | undefined;
  stateJson: string;
  ttlSeconds: number | undefined;
  /**
   * With an expected version only: the write that made that version (its creation and update times in ms), for a
   * state the core cached. The backend refuses with `WrittenSinceError` when the stored version was made by another
   * write (another life of the id), checked after the version in the same step; nothing is written then.
   */
  expectedStamp?: VersionStamp | undefined;
}

/** Which write made a version: the workflow's creation time (its life) and that write's time, in ms. */
export interface VersionStamp {
  createdMs: number;
  updatedMs: number;
}

/**
 * What a write did: applied now (with the stored record, its state either as a private copy or as the stored JSON
 * text, which the core parses only when its caller wants an object, and the new version's stamp in ms), or found to
 * be a repeat of an operation already applied.
 */
export type WriteReply =
  | { kind: 'applied'; workflow: Workflow; stamp?: VersionStamp }
  | { kind: 'applied-json'; workflow: WorkflowMeta; stateJson: string; stamp?: VersionStamp }
  | { kind: 'replayed'; replay: StoredReplay };

/**
 * A read with the stamp of its version, as the backend holds it (ms), for the core's state cache: so the cache need
 * not parse the ISO times back (`stamp` is exactly Date.parse of createdAt and updatedAt).
 */
export interface StampedWorkflowJson extends StoredWorkflowJson {
  stamp: VersionStamp;
}

/** A write found to repeat an earlier one (same idempotency key, same fingerprint): what it did, and the workflow now. */
export interface StoredReplay {
  outcome: ReplayInfo['outcome'];
  version: number;
  /** The workflow as stored now, or null when it no longer exists. */
  current: StoredWorkflowJson | null;
  /** The workflow as the original write left it, when it has changed since and the history still holds that version. */
  produced?: StoredWorkflowJson;
  /**
   * Whether `current` is not the workflow the original write left: another version, or another life of the id
   * (deleted and created again: its creation time differs). For a delete: whether the id exists again.
   */
  changedSince: boolean;
}

export type DeleteReply = { kind: 'deleted'; version: number } | { kind: 'replayed'; replay: StoredReplay };

/** What the history holds of a workflow: its current version and the earlier ones kept (newest first, no state). */
export interface KeptVersions {
  current: WorkflowMeta;
  oldestVersion: number;
  kept: WorkflowMeta[];
}

/** One version asked for: found (as stored), or not kept, with the window that is. */
export interface VersionRead {
  currentVersion: number;
  oldestVersion: number;
  found: StoredWorkflowJson | null;
}

/** An earlier version given to `restore` (an export's history). */
export interface KeptRecord {
  workflow: Workflow;
  stateJson: string;
}

export interface ListSlice {
  /** Live workflows matching the filter, in walk order. */
  items: Workflow[];
  /** Where the next slice starts (every index entry up to it was examined, live or not); null at the end. */
  next: ListPosition | null;
}

/**
 * What a backend adapter implements: plain I/O on already validated input. Validation, TTL limits, merge patch,
 * retries and cursors live in `ValidatingWorkflowStore`, so both backends behave the same by construction.
 * Adapters throw the shared typed errors (AlreadyExists, NotFound, VersionConflict, StoreUnavailable,
 * OutcomeUnknown, StorageFull) and nothing else on purpose.
 */
export interface StorageBackend {
  /**
   * Whether a read crosses a network (Redis): the core then keeps what it reads in its state cache, so an update at
   * that version need not read again. False for the memory backend, whose reads are local copies.
   */
  readonly remoteReads: boolean;
  /** How many shards a walk goes through (positions carry a shard below it); 1 on the memory backend. */
  readonly shards: number;
  /** LangGraph checkpoints of threads, which are workflows of this backend (WorkflowCheckpointSaver). */
  readonly checkpoints: CheckpointStorage;
  /** Opens connections / loads snapshots; throws `StoreUnavailableError` with the real cause. */
  connect(): Promise<void>;
  /**
   * Every write takes the request's idempotency key and fingerprint, checked and remembered inside the write itself:
   * a repeat answers `replayed`, a reused key with another fingerprint throws `IdempotencyKeyReusedError`.
   */
  create(record: NewRecord, idempotency: Idempotency | undefined): Promise<WriteReply>;
  /**
   * Upsert; with `expectedVersion` a compare-and-set that throws NotFound / VersionConflict. Every write but create
   * takes the caller's lease token and is fenced by the workflow's lease (LeaseHeld / LeaseLost) in the same step.
   */
  save(write: RecordWrite, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Promise<WriteReply>;
  get(id: string): Promise<Workflow | null>;
  /** The workflow with its state as stored JSON text, not parsed. */
  getJson(id: string): Promise<StoredWorkflowJson | null>;
  /** `getJson` with its version's stamp (the same one read): what the core keeps in its state cache. */
  getStamped(id: string): Promise<StampedWorkflowJson | null>;
  /** The workflow with its state as stored UTF-8 bytes, not decoded. */
  getJsonBytes(id: string): Promise<StoredWorkflowBytes | null>;
  /**
   * The workflow plus, when the idempotency key was used before for the same request, that earlier write (one round
   * trip). Throws `IdempotencyKeyReusedError` for the same key with another fingerprint.
   */
  getForWrite(id: string, idempotency: Idempotency | undefined): Promise<{ workflow: Workflow | null; replay?: StoredReplay }>;
  delete(id: string, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Promise<DeleteReply>;
  /** Restarts the TTL; with `expectedVersion` only at that version (checked after the lease, as save and delete do). */
  touch(
    id: string,
    ttlSeconds: number | undefined,
    idempotency: Idempotency | undefined,
    leaseToken: number | undefined,
    expectedVersion?: number,
  ): Promise<WriteReply>;
  /** A new lease (NotFound when the workflow is absent, LeaseHeld when another is live). */
  acquireLease(id: string, owner: string, ttlMs: number): Promise<Lease>;
  /** Extends the live lease of `token` from now (NotFound, LeaseLost). */
  renewLease(id: string, token: number, ttlMs: number): Promise<Lease>;
  /** Ends the lease of `token`; with `expectedVersion` only at that version (NotFound, then LeaseLost, then VersionConflict). */
  releaseLease(id: string, token: number, expectedVersion?: number): Promise<void>;
  /** The workflow's last lease and its state by the backend's clock; null when the workflow is absent or never leased in this life. */
  getLease(id: string): Promise<LeaseView | null>;
  /**
   * Up to `limit` events of `id` the tenant's feed still holds, newest first (validated by the caller). Throws
   * `EventsDisabledError` when events are off.
   */
  events(id: string, limit: number): Promise<WorkflowEvent[]>;
  /**
   * Live workflows whose index keys start with `range.prefix`, from `range.position` on: up to `limit` index entries
   * examined. Walk order: shard by shard, by index key within a shard.
   */
  listSlice(range: ListRange, limit: number): Promise<ListSlice>;
  /** Writes the record as it is; `history` (earlier versions) becomes its history, within the configured bound. */
  restore(record: Workflow, stateJson: string, history?: readonly KeptRecord[]): Promise<RestoreOutcome>;
  /** The workflow's current version and the kept earlier ones, without states; null when it does not exist. */
  listVersions(id: string): Promise<KeptVersions | null>;
  /** One version of the workflow (the current one included); null when the workflow does not exist. */
  readVersion(id: string, version: number): Promise<VersionRead | null>;
  /**
   * The tenant's change feed from `after` (exclusive; live from now when undefined), filtered. Throws
   * `EventsDisabledError` when events are off. The filter and position are validated by the caller.
   */
  watch(filter: WatchFilter, after: EventPosition | undefined, signal: AbortSignal | undefined): Promise<AsyncIterableIterator<WatchMessage>>;
  /** Live workflows at this moment (by the backend's clock). */
  count(): Promise<number>;
  /**
   * The same backend confined to one tenant (validated by the caller): separate records, operation logs and
   * indexes, shared connection. The view's `connect`/`close` do nothing; the root's close ends every view.
   */
  scoped(tenant: string): StorageBackend;
  ping(): Promise<void>;
  close(): Promise<void>;
}
