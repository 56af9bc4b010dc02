import type { ListRange } from './list-order.js';
import type { RestoreOutcome, Workflow } from '../workflow.types.js';
import type { StoredWorkflowBytes, StoredWorkflowJson, WorkflowMeta } from '../workflow-json.js';

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
}

/**
 * What a write did: applied now (with the stored record, its state either as a private copy or as the stored JSON
 * text, which the core parses only when its caller wants an object), or found to be a repeat of an operation
 * already applied.
 */
export type WriteReply =
  | { kind: 'applied'; workflow: Workflow }
  | { kind: 'applied-json'; workflow: WorkflowMeta; stateJson: string }
  | { kind: 'replayed' };

export interface ListSlice {
  /** Live workflows, in index order. */
  items: Workflow[];
  /** Index key of the last entry examined (live or not), to resume after. */
  lastKey: string | null;
  /** Whether entries remain after `lastKey`. */
  more: boolean;
}

/**
 * What a backend adapter implements: plain I/O on already validated input. Validation, TTL limits, merge patch,
 * retries and cursors live in `ValidatingWorkflowStore`, so both backends behave the same by construction.
 * Adapters throw the shared typed errors (AlreadyExists, NotFound, VersionConflict, StoreUnavailable,
 * OutcomeUnknown, StorageFull) and nothing else on purpose.
 */
export interface StorageBackend {
  /** Opens connections / loads snapshots; throws `StoreUnavailableError` with the real cause. */
  connect(): Promise<void>;
  create(record: NewRecord, operationId: string | undefined): Promise<WriteReply>;
  /** Upsert; with `expectedVersion` a compare-and-set that throws NotFound / VersionConflict. */
  save(write: RecordWrite, expectedVersion: number | undefined, operationId: string | undefined): Promise<WriteReply>;
  get(id: string): Promise<Workflow | null>;
  /** The workflow with its state as stored JSON text, not parsed. */
  getJson(id: string): Promise<StoredWorkflowJson | null>;
  /** The workflow with its state as stored UTF-8 bytes, not decoded. */
  getJsonBytes(id: string): Promise<StoredWorkflowBytes | null>;
  /** The workflow plus whether `operationId` was already applied to it (one round trip). */
  getForWrite(id: string, operationId: string | undefined): Promise<{ workflow: Workflow | null; replayed: boolean }>;
  delete(id: string, expectedVersion: number | undefined, operationId: string | undefined): Promise<'deleted' | 'replayed'>;
  touch(id: string, ttlSeconds: number | undefined, operationId: string | undefined): Promise<WriteReply>;
  /** Up to `limit` index entries after `range.after` whose keys start with `range.prefix`. */
  listSlice(range: ListRange, limit: number): Promise<ListSlice>;
  restore(record: Workflow, stateJson: string): Promise<RestoreOutcome>;
  /** Live workflows at this moment. */
  count(): Promise<number>;
  /**
   * The same backend confined to one tenant (validated by the caller): separate records, operation logs and
   * indexes, shared connection. The view's `connect`/`close` do nothing; the root's close ends every view.
   */
  scoped(tenant: string): StorageBackend;
  ping(): Promise<void>;
  close(): Promise<void>;
}
