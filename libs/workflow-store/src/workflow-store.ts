import type {
  CreateInput,
  DeleteOptions,
  DeleteResult,
  ListPage,
  ListQuery,
  MutateOptions,
  MutateResult,
  RestoreOutcome,
  SaveInput,
  SaveOptions,
  TouchOptions,
  UpdateOptions,
  Workflow,
  WorkflowPatch,
  AcquireLeaseOptions,
  Lease,
  LeaseView,
  ReleaseLeaseOptions,
  WorkflowHistory,
  WorkflowWithHistory,
  WriteOptions,
} from './workflow.types.js';
import type { WatchFilter, WatchMessage, WatchOptions, WorkflowEvent, WorkflowEventsOptions } from './events/workflow-event.js';
import type { StoredWorkflowBytes, StoredWorkflowJson } from './workflow-json.js';
import type { CheckpointStorage } from './checkpoints/checkpoint-storage.js';

/**
 * The backend-neutral contract of the store, and its Nest injection token.
 *
 * Every method validates its input first and throws `InvalidInputError` (or `StateTooLargeError`) before
 * anything reaches the backend. Every backend failure is typed: `StoreUnavailableError` when nothing was
 * written, `OutcomeUnknownError` when a write was sent and its reply lost, `StorageFullError` when the backend
 * is out of memory. No method ever reports a miss or a success that did not happen, and none waits longer than
 * the configured command timeout.
 *
 * Every workflow expires: each successful write restarts its sliding TTL (`ttlSeconds`, default
 * `WORKFLOW_STATE_TTL`). An expired workflow is gone for every method.
 */
export abstract class WorkflowStore {
  /**
   * Stores a new workflow at version 1.
   * @throws AlreadyExistsError if the id is taken (nothing is written).
   */
  abstract create(input: CreateInput, options?: WriteOptions): Promise<Workflow>;

  /** The workflow, or `null` if it does not exist or has expired. Never `null` because the backend is down: that throws. */
  abstract get(id: string): Promise<Workflow | null>;

  /**
   * Like `get`, with the state as the stored JSON text instead of a parsed object (nothing is parsed or
   * re-encoded): for callers that pass the state on, such as an HTTP response. `workflowJsonText()` turns the
   * result into the JSON of the whole workflow.
   */
  abstract getJson(id: string): Promise<StoredWorkflowJson | null>;

  /**
   * Like `getJson`, with the state as UTF-8 bytes (the Redis backend hands over the stored bytes without decoding
   * them): for callers that write the workflow to a socket. `workflowJsonBytes()` turns the result into the JSON
   * of the whole workflow, byte for byte the UTF-8 of `workflowJsonText()`.
   */
  abstract getJsonBytes(id: string): Promise<StoredWorkflowBytes | null>;

  /**
   * Unconditional upsert: creates at version 1 or replaces the state at version + 1. With `expectedVersion` it is
   * a compare-and-set instead.
   * @throws VersionConflictError when `expectedVersion` is given and differs (nothing is written).
   * @throws NotFoundError when `expectedVersion` is given and the workflow does not exist.
   */
  abstract save(id: string, input: SaveInput, options?: SaveOptions): Promise<Workflow>;

  /** `save`, answering with the state as the JSON text just stored (not parsed back): see `getJson`. Same errors. */
  abstract saveJson(id: string, input: SaveInput, options?: SaveOptions): Promise<StoredWorkflowJson>;

  /**
   * Applies a JSON Merge Patch (RFC 7396) to `type`, `status` and `state` atomically, as version + 1. Without
   * `expectedVersion` it applies to whatever version is current (retrying internally on a concurrent write).
   * @throws NotFoundError if the workflow does not exist.
   * @throws VersionConflictError when `expectedVersion` is stale; carries `currentVersion`.
   */
  abstract update(id: string, patch: WorkflowPatch, options?: UpdateOptions): Promise<Workflow>;

  /**
   * Read-modify-write: calls `fn` with the current workflow and saves what it returns with a compare-and-set,
   * retrying from a fresh read on conflict up to `maxAttempts` times (default 10). `fn` may run more than once.
   * @throws NotFoundError if the workflow does not exist.
   * @throws VersionConflictError when every attempt lost a race.
   */
  abstract mutate(id: string, fn: (current: Workflow) => MutateResult | Promise<MutateResult>, options?: MutateOptions): Promise<Workflow>;

  /**
   * Deletes the workflow and its index entries; answers with the version deleted.
   * @throws NotFoundError if it does not exist. @throws VersionConflictError on a stale `expectedVersion`.
   */
  abstract delete(id: string, options?: DeleteOptions): Promise<DeleteResult>;

  /**
   * One page of live workflows, optionally filtered by `type` and/or `status`. A full walk (following `nextCursor`
   * until it is null) returns every workflow that exists and matches the filter for the whole walk exactly once,
   * while others are created, deleted, expire or change labels; a workflow whose labels change during the walk
   * appears at most once. Order: Redis walks shard by shard (REDIS_SHARDS), by id within a shard (filtered walks:
   * by id within the filter); memory walks by id. A page may hold fewer than `limit` workflows (even none) while
   * `nextCursor` is not null: only a null cursor ends the walk. The cost of a page grows with `limit` and the
   * number of empty shards it passes, never with the number of stored workflows.
   * @throws InvalidInputError on a malformed cursor or one from a different filter or shard count.
   */
  abstract list(query?: ListQuery): Promise<ListPage>;

  /**
   * Restarts the workflow's TTL without changing its state or version. `ttlSeconds`, when given, becomes the
   * workflow's sliding TTL from now on. With `expectedVersion` it only applies to that version. Checked in the
   * touch's own atomic step, in the order of every write: a replay of its idempotency key first, then existence,
   * the lease (fencing), the version.
   * @throws NotFoundError if it does not exist.
   * @throws VersionConflictError when `expectedVersion` is given and differs (carries `currentVersion`; nothing is
   * written, no event).
   */
  abstract touch(id: string, options?: TouchOptions): Promise<Workflow>;

  /**
   * Writes a complete record as it is (id, version, timestamps and remaining TTL kept): used by snapshot load,
   * import and migration. Its `expiresAt` may be at most `WORKFLOW_MAX_TTL` from now (`InvalidInputError`). Never overwrites a stored workflow whose version is equal (`skipped-same`, so a repeated
   * import copies nothing) or higher (`skipped-newer`), and skips a record that has already expired
   * (`skipped-expired`).
   */
  abstract restore(record: Workflow): Promise<RestoreOutcome>;

  /**
   * `restore` with the workflow's earlier versions (an export made with history): they become its history, as far
   * as `WORKFLOW_HISTORY_VERSIONS` keeps. Same outcomes and checks as `restore`; a skipped record keeps its own
   * history.
   */
  abstract restoreWithHistory(entry: WorkflowWithHistory): Promise<RestoreOutcome>;

  /**
   * The versions of the workflow the store still holds: the current one and up to `WORKFLOW_HISTORY_VERSIONS`
   * earlier ones (each write keeps the version it replaces, in the same atomic write; they expire with the
   * workflow and go with it on delete). `null` when the workflow does not exist.
   */
  abstract history(id: string): Promise<WorkflowHistory | null>;

  /**
   * The workflow as it was at `version` (its state, labels and times as of then), the current version included;
   * `null` when the workflow does not exist.
   * @throws VersionNotKeptError when it exists but that version is not kept (carries the oldest kept version).
   */
  abstract getVersion(id: string, version: number): Promise<Workflow | null>;

  /**
   * Takes the workflow's lease for `owner` for `ttlMs` (100 – LEASE_MAX_TTL_MS): its `token` is strictly greater
   * than every token issued for this workflow before and is never issued again (it is at least the store's time in
   * ms × 1000, so it also grows across a failover that lost the last token). While the lease is live, every write of
   * the workflow must carry the token as `leaseToken` (fencing, checked inside the write's own atomic script).
   * Records a `lease-acquired` event; ends the workflow's stall.
   * @throws NotFoundError if the workflow does not exist. @throws LeaseHeldError while another lease is live
   * (the same owner's too: renew it instead).
   */
  abstract acquireLease(id: string, options: AcquireLeaseOptions): Promise<Lease>;

  /**
   * Extends the live lease of `token` to `ttlMs` from now.
   * @throws LeaseLostError when `token` is not the live lease's (it expired, was released, or was taken over).
   */
  abstract renewLease(id: string, token: number, ttlMs: number): Promise<Lease>;

  /**
   * Ends the lease of `token` (also one that expired while nobody acquired the workflow since) and records a
   * `lease-released` event. A lease that expires without release instead marks its workflow stalled (found by
   * `list({ stalled: true })`, with a `lease-expired` event, within LEASE_SWEEP_INTERVAL_MS) until the next
   * acquisition, release or write. With `expectedVersion` it only releases while the workflow is at that version.
   * Checked in one atomic step: existence, then the token, then the version (as a write checks its lease before its
   * version: a caller whose lease has ended learns that first, whatever the version).
   * @throws NotFoundError if the workflow does not exist.
   * @throws LeaseLostError when `token` is not the workflow's last lease, or that lease already ended.
   * @throws VersionConflictError when `expectedVersion` is given and differs (carries `currentVersion`; nothing is
   * released, no event).
   */
  abstract releaseLease(id: string, token: number, options?: ReleaseLeaseOptions): Promise<void>;

  /**
   * The workflow's last lease as stored, whatever became of it (see `LeaseView.state`; `held` and `expired` are
   * decided by the store's clock, as the writes decide them). A read: nothing changes, no event.
   * `null` when the workflow does not exist (or has expired) or has had no lease since it was created (a delete,
   * an expiry or a restore forgets its lease; a re-created id starts without one).
   */
  abstract getLease(id: string): Promise<LeaseView | null>;

  /**
   * The events of one workflow id that the change feed still holds, newest first, at most `limit` (1–1000, default
   * 100): its writes, lease events and observed expiry, across its lives (a deleted or expired workflow's events
   * stay until the feed trims them; `[]` when it holds none). The feed keeps EVENTS_RETENTION_SECONDS and about
   * EVENTS_MAX_PER_SHARD events per shard (memory: per tenant), both trimmed approximately on Redis. Cost on Redis:
   * the workflow's shard stream is read backwards in pages of 500 entries (every workflow's of that shard) until
   * `limit` events of this id are found or the stream's start is reached: at most EVENTS_MAX_PER_SHARD entries, so
   * a workflow with few recent events in a busy shard costs the most. Memory: a scan of the tenant's log.
   * @throws InvalidInputError on a malformed id or limit. @throws EventsDisabledError when the feed is off.
   */
  abstract events(id: string, options?: WorkflowEventsOptions): Promise<WorkflowEvent[]>;

  /**
   * The change feed of this tenant as an async iterator, once it is live (resolving means following has started:
   * every write that completes afterwards is seen; one that completed just before may be seen too): an event for every write (and every expiry the store
   * observes), recorded by that write's own atomic script, so there is no event without its write and no write
   * without its event. Events of one workflow arrive in write order; across workflows in the feed's order (see
   * `WorkflowEvent.eventId`). With `after` it resumes right after that event, nothing lost or repeated; when the
   * feed no longer holds that point it yields a `reset` first and continues live. A consumer that falls more than
   * its buffer behind gets a `reset` too. One reader per process serves every watch (see README, "Change feed").
   * @throws InvalidInputError on a malformed filter or event id. @throws EventsDisabledError when the feed is off.
   */
  abstract watch(filter?: WatchFilter, options?: WatchOptions): Promise<AsyncIterableIterator<WatchMessage>>;

  /**
   * How many live workflows are stored right now, by the backend's clock. A moment's figure (for progress totals
   * and export headers): workflows written or expiring meanwhile change it. On Redis it costs one command per
   * shard, whatever the size.
   */
  abstract count(): Promise<number>;

  /**
   * The store confined to one tenant: its workflows, ids, lists, counts and keys never meet another tenant's (two
   * tenants may use the same id). The default tenant (`DEFAULT_TENANT`, "default") is the store itself: what is
   * written without tenants is the default tenant's. Views share the connection; closing a view does nothing,
   * closing the store closes every view. Repeated calls return the same view.
   * @throws InvalidInputError if `tenant` is not 1-32 characters of A-Z a-z 0-9 _ . - (not starting with ".").
   */
  abstract forTenant(tenant: string): WorkflowStore;

  /**
   * Where `WorkflowCheckpointSaver` keeps LangGraph checkpoints: threads are this store's (this tenant's) workflows.
   * Its records are the saver's encoding: use the saver, not this. `ttlSeconds` (the TTL the saver will give its
   * threads) is checked against the store's limits here, once.
   * @throws InvalidInputError on a TTL out of bounds.
   */
  abstract checkpointStorage(ttlSeconds?: number): CheckpointStorage;

  /** Resolves when the backend answers; throws `StoreUnavailableError` otherwise. */
  abstract ping(): Promise<void>;

  /** Releases the backend (closes the Redis connection, writes the memory snapshot). Idempotent. */
  abstract close(): Promise<void>;
}
