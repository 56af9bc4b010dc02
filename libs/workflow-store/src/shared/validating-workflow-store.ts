import { v7 as uuidv7 } from 'uuid';
import type { LimitsOptions } from '../config/workflow-store.options.js';
import { WorkflowStore } from '../workflow-store.js';
import { withState, type StoredWorkflowBytes, type StoredWorkflowJson } from '../workflow-json.js';
import {
  DEFAULT_LIST_LIMIT,
  DEFAULT_STATUS,
  DEFAULT_TENANT,
  listQuerySchema,
  saveInputSchema,
  leaseTokenSchema,
  tenantSchema,
  WORKFLOW_ID_PATTERN,
  workflowIdSchema,
  writeOptionsSchema,
} from '../workflow.schema.js';
import type {
  CreateInput,
  DeleteOptions,
  DeleteResult,
  JsonObject,
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
  AcquireLeaseOptions,
  Lease,
  LeaseView,
  ReleaseLeaseOptions,
  WorkflowHistory,
  WorkflowPatch,
  WorkflowWithHistory,
  WriteOptions,
} from '../workflow.types.js';
import type { WatchFilter, WatchMessage, WatchOptions, WorkflowEvent, WorkflowEventsOptions } from '../events/workflow-event.js';
import { VersionNotKeptError } from '../errors/version-not-kept.error.js';
import { DEFAULT_STATE_CACHE_BYTES, StateCache } from './state-cache.js';
import { KnownStates } from './known-states.js';
import { updateKnown } from './update-known.js';
import { readModifyWrite } from './read-modify-write.js';
import { replayedOrGone, replayInfo, workflowOfReply } from './workflow-of-reply.js';
import { DEFAULT_EVENTS_LIMIT, eventsOptionsSchema, positionOfAfter, versionOf, watchFilterOf } from './feed-input.js';
import { acquireLeaseSchema, checkLeaseTtl, releaseLeaseOptionsSchema } from './lease-input.js';
import { historyOf } from './history-of.js';
import { fingerprintOf, idempotencyOf, idFromIdempotencyKey, markReplay } from './idempotency.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { rangeOf, type ListPosition } from './list-order.js';
import { applyMergePatch } from './merge-patch.js';
import { serializeState } from './state-json.js';
import type { CheckpointStorage } from '../checkpoints/checkpoint-storage.js';
import type { StorageBackend, WriteReply } from './storage-backend.js';
import { checkTtl } from './ttl-policy.js';
import { validate } from './validate.js';
import { validConditionalOptions, validCreateInput, validCreateOptions, validPatch, validSaveInput } from './write-input.js';
import { keptRecordsOf, restorableRecord } from './restore-input.js';
import { TRACED_OPERATIONS, traceStoreOperations } from '../tracing/store-spans.js';

const DEFAULT_MUTATE_ATTEMPTS = 10;
/** An unconditional patch retries this often when other writers keep winning the race. */
const PATCH_ATTEMPTS = 25;
/** Rounds of index reads one `list` call may make to fill a page past entries of expired workflows. */
const LIST_ROUNDS = 4;

// Derived schemas are built once (see write-input.ts).
const mutateOptionsSchema = writeOptionsSchema.pick({ operationId: true, maxAttempts: true, leaseToken: true });
const touchOptionsSchema = writeOptionsSchema.pick({ operationId: true, ttlSeconds: true, leaseToken: true, expectedVersion: true });
const mutateResultSchema = saveInputSchema.omit({ ttlSeconds: true });

/**
 * The one implementation of the `WorkflowStore` contract: validates, applies limits, merge patch, retries and
 * cursors, and delegates storage to a backend adapter. Both backends share it, so they cannot drift apart.
 */
export class ValidatingWorkflowStore extends WorkflowStore {
  private closed = false;
  private readonly tenants = new Map<string, ValidatingWorkflowStore>();
  /** The process's state cache (state-cache.ts; the root's, shared by its tenant views), seen from this view. */
  private readonly cache: StateCache | undefined;
  private readonly known: KnownStates;

  /** `root`: set on a tenant view; tenant lookups always go through the root. `tenant`: the view's, for spans. */
  constructor(
    readonly backend: StorageBackend,
    private readonly limits: LimitsOptions,
    private readonly root?: ValidatingWorkflowStore,
    readonly tenant: string = DEFAULT_TENANT,
  ) {
    super();
    const cacheBytes = limits.stateCacheBytes ?? DEFAULT_STATE_CACHE_BYTES;
    this.cache = root ? root.cache : cacheBytes > 0 ? new StateCache(cacheBytes) : undefined;
    this.known = new KnownStates(this.cache, tenant === DEFAULT_TENANT ? '' : `${tenant}\n`);
  }

  /** Connects the backend (Redis: waits for `ready`; memory: loads the snapshot). */
  async connect(): Promise<void> {
    await this.backend.connect();
  }

  async create(input: CreateInput, options: WriteOptions = {}): Promise<Workflow> {
    const data = validCreateInput(input, 'input');
    const opts = validCreateOptions(options, 'options');
    const ttlSeconds = checkTtl(data.ttlSeconds, this.limits, 'ttlSeconds') ?? this.limits.defaultTtlSeconds;
    const key = opts.operationId;
    // Without an id, a keyed create derives the id from the key, so its retry targets the same workflow.
    const record = {
      id: data.id ?? (key === undefined ? uuidv7() : idFromIdempotencyKey(key)),
      type: data.type,
      status: data.status ?? DEFAULT_STATUS,
      stateJson: serializeState(data.state, this.limits.maxStateBytes),
      ttlSeconds,
    };
    const idempotency = idempotencyOf(key, () =>
      fingerprintOf('create', data.id ?? '', [data.id === undefined ? 'generated' : 'given', record.type, data.status, data.ttlSeconds], record.stateJson),
    );
    return workflowOfReply(record.id, await this.known.write(record.id, this.backend.create(record, idempotency), record.stateJson));
  }

  async get(id: string): Promise<Workflow | null> {
    validId(id);
    if (!this.known.enabled || !this.backend.remoteReads) return this.backend.get(id);
    // The same read as backend.get (one GET), keeping the state's text for an update at this version.
    const stored = await this.backend.getStamped(id);
    this.known.read(id, stored);
    return stored && withState(stored.workflow, JSON.parse(stored.stateJson) as JsonObject);
  }

  async getJson(id: string): Promise<StoredWorkflowJson | null> {
    validId(id);
    if (!this.known.enabled || !this.backend.remoteReads) return this.backend.getJson(id);
    const stored = await this.backend.getStamped(id);
    this.known.read(id, stored);
    // The caller's answer without the stamp (the cache's bookkeeping, not part of the contract).
    return stored && { workflow: stored.workflow, stateJson: stored.stateJson };
  }

  async getJsonBytes(id: string): Promise<StoredWorkflowBytes | null> {
    return this.backend.getJsonBytes(validId(id));
  }

  async save(id: string, input: SaveInput, options: SaveOptions = {}): Promise<Workflow> {
    return workflowOfReply(id, await this.saveReply(id, input, options));
  }

  async saveJson(id: string, input: SaveInput, options: SaveOptions = {}): Promise<StoredWorkflowJson> {
    const reply = await this.saveReply(id, input, options);
    if (reply.kind === 'applied-json') return { workflow: reply.workflow, stateJson: reply.stateJson };
    if (reply.kind === 'applied') {
      const { state, ...workflow } = reply.workflow;
      return { workflow, stateJson: JSON.stringify(state) };
    }
    const answer = reply.replay.produced ?? replayedOrGone(id, reply.replay);
    return markReplay(answer, replayInfo(reply.replay));
  }

  private async saveReply(id: string, input: SaveInput, options: SaveOptions): Promise<WriteReply> {
    validId(id);
    const data = validSaveInput(input, 'input');
    const opts = validConditionalOptions(options, 'options');
    const write = {
      id,
      type: data.type,
      status: data.status,
      stateJson: serializeState(data.state, this.limits.maxStateBytes),
      ttlSeconds: checkTtl(data.ttlSeconds, this.limits, 'ttlSeconds'),
    };
    const idempotency = idempotencyOf(opts.operationId, () =>
      fingerprintOf('save', id, [data.type, data.status, data.ttlSeconds, opts.expectedVersion], write.stateJson),
    );
    return this.known.write(id, this.backend.save(write, opts.expectedVersion, idempotency, opts.leaseToken), write.stateJson);
  }

  async update(id: string, patch: WorkflowPatch, options: UpdateOptions = {}): Promise<Workflow> {
    validId(id);
    const data = validPatch(patch, 'patch');
    const opts = validConditionalOptions(options, 'options');
    // Normalise the caller's patch to plain JSON once (drops undefined members, copies it).
    const patchJson = data.state === undefined ? undefined : serializeState(data.state, Infinity);
    const statePatch = patchJson === undefined ? undefined : (JSON.parse(patchJson) as JsonObject);
    const attempts = opts.expectedVersion === undefined ? PATCH_ATTEMPTS : 1;
    const idempotency = idempotencyOf(opts.operationId, () =>
      fingerprintOf('update', id, [data.type, data.status, opts.expectedVersion], patchJson),
    );
    // At a version whose state this process last read or wrote: merge onto it without reading (update-known.ts).
    const cached = this.known.get(id);
    if (cached && (opts.expectedVersion === undefined || cached.version === opts.expectedVersion)) {
      const update = { id, type: data.type, status: data.status, statePatch, expectedVersion: opts.expectedVersion, idempotency, leaseToken: opts.leaseToken };
      const done = await updateKnown(this.backend, this.known, cached, update, this.limits.maxStateBytes);
      if (done) return workflowOfReply(id, done.reply, done.state);
    }
    // The merged state is built here from a fresh read and a private copy of the patch, so it can be returned as
    // it is (`ownsState`) instead of being parsed back from the JSON just written.
    const rmw = { id, expectedVersion: opts.expectedVersion, idempotency, leaseToken: opts.leaseToken, attempts, ownsState: true, maxStateBytes: this.limits.maxStateBytes };
    return readModifyWrite(this.backend, this.known, rmw, (current) => ({
      type: data.type ?? current.type,
      status: data.status ?? current.status,
      state: statePatch === undefined ? current.state : (applyMergePatch(current.state, statePatch) as JsonObject),
    }));
  }

  async mutate(
    id: string,
    fn: (current: Workflow) => MutateResult | Promise<MutateResult>,
    options: MutateOptions = {},
  ): Promise<Workflow> {
    validId(id);
    const opts = validate(mutateOptionsSchema, options, 'options');
    // fn is code, not data: a mutate's fingerprint is its kind and target only.
    const idempotency = idempotencyOf(opts.operationId, () => fingerprintOf('mutate', id, []));
    const attempts = opts.maxAttempts ?? DEFAULT_MUTATE_ATTEMPTS;
    const rmw = { id, expectedVersion: undefined, idempotency, leaseToken: opts.leaseToken, attempts, ownsState: false, maxStateBytes: this.limits.maxStateBytes };
    return readModifyWrite(this.backend, this.known, rmw, async (current) => {
      const next = validate(mutateResultSchema, await fn(current), 'mutate result');
      return { type: next.type ?? current.type, status: next.status ?? current.status, state: next.state as JsonObject };
    });
  }

  async delete(id: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    validId(id);
    const opts = validConditionalOptions(options, 'options');
    const idempotency = idempotencyOf(opts.operationId, () => fingerprintOf('delete', id, [opts.expectedVersion]));
    const reply = await this.backend.delete(id, opts.expectedVersion, idempotency, opts.leaseToken).finally(() => this.known.forget(id));
    if (reply.kind === 'deleted') return { id, version: reply.version };
    const { replay } = reply;
    return markReplay({ id, version: replay.version }, { outcome: replay.outcome, version: replay.version, changedSince: replay.changedSince });
  }

  async list(query: ListQuery = {}): Promise<ListPage> {
    const q = validate(listQuerySchema, query, 'query');
    const limit = q.limit ?? DEFAULT_LIST_LIMIT;
    const { prefix } = rangeOf(q);
    let position: ListPosition | null = q.cursor === undefined ? { shard: 0 } : decodeCursor(q.cursor, prefix, this.backend.shards);
    const items: Workflow[] = [];
    // Entries of workflows that expired but are not swept yet take slots; read again rather than return a short page.
    for (let round = 0; round < LIST_ROUNDS && position !== null && items.length < limit; round++) {
      const slice = await this.backend.listSlice({ prefix, position }, limit - items.length);
      items.push(...slice.items);
      position = slice.next;
    }
    return { items, nextCursor: position === null ? null : encodeCursor(prefix, position) };
  }

  async touch(id: string, options: TouchOptions = {}): Promise<Workflow> {
    validId(id);
    const opts = validate(touchOptionsSchema, options, 'options');
    const ttlSeconds = checkTtl(opts.ttlSeconds, this.limits, 'ttlSeconds');
    // The expected version is part of the request only when given, so an unconditional touch keeps the fingerprint
    // it had before touches took one (a retry across an upgrade is still recognised).
    const parts = opts.expectedVersion === undefined ? [opts.ttlSeconds] : [opts.ttlSeconds, opts.expectedVersion];
    const idempotency = idempotencyOf(opts.operationId, () => fingerprintOf('touch', id, parts));
    return workflowOfReply(id, await this.backend.touch(id, ttlSeconds, idempotency, opts.leaseToken, opts.expectedVersion));
  }

  async restore(record: Workflow): Promise<RestoreOutcome> {
    const data = restorableRecord(record, 'record', this.limits);
    return this.backend.restore(data, serializeState(data.state, this.limits.maxStateBytes)).finally(() => this.known.forget(data.id));
  }

  async restoreWithHistory(entry: WorkflowWithHistory): Promise<RestoreOutcome> {
    const data = restorableRecord(entry.workflow, 'workflow', this.limits);
    return this.backend
      .restore(data, serializeState(data.state, this.limits.maxStateBytes), keptRecordsOf(entry, data, this.limits))
      .finally(() => this.known.forget(data.id));
  }

  async history(id: string): Promise<WorkflowHistory | null> {
    const kept = await this.backend.listVersions(validId(id));
    return kept && historyOf(id, kept);
  }

  async getVersion(id: string, version: number): Promise<Workflow | null> {
    const read = await this.backend.readVersion(validId(id), versionOf(version));
    if (!read) return null;
    if (!read.found) throw new VersionNotKeptError(id, version, read.currentVersion, read.oldestVersion);
    return withState(read.found.workflow, JSON.parse(read.found.stateJson) as JsonObject);
  }

  async acquireLease(id: string, options: AcquireLeaseOptions): Promise<Lease> {
    validId(id);
    const { owner, ttlMs } = validate(acquireLeaseSchema, options, 'options');
    return this.backend.acquireLease(id, owner, checkLeaseTtl(ttlMs, this.limits));
  }

  async renewLease(id: string, token: number, ttlMs: number): Promise<Lease> {
    validId(id);
    return this.backend.renewLease(id, validate(leaseTokenSchema, token, 'token'), checkLeaseTtl(ttlMs, this.limits));
  }

  async releaseLease(id: string, token: number, options: ReleaseLeaseOptions = {}): Promise<void> {
    validId(id);
    const validToken = validate(leaseTokenSchema, token, 'token');
    const { expectedVersion } = validate(releaseLeaseOptionsSchema, options, 'options');
    await this.backend.releaseLease(id, validToken, expectedVersion);
  }

  async getLease(id: string): Promise<LeaseView | null> {
    return this.backend.getLease(validId(id));
  }

  async events(id: string, options: WorkflowEventsOptions = {}): Promise<WorkflowEvent[]> {
    validId(id);
    const { limit } = validate(eventsOptionsSchema, options, 'options');
    return this.backend.events(id, limit ?? DEFAULT_EVENTS_LIMIT);
  }

  async watch(filter: WatchFilter = {}, options: WatchOptions = {}): Promise<AsyncIterableIterator<WatchMessage>> {
    return this.backend.watch(watchFilterOf(filter), positionOfAfter(options.after), options.signal);
  }

  async count(): Promise<number> {
    return this.backend.count();
  }

  forTenant(tenant: string): ValidatingWorkflowStore {
    if (this.root) return this.root.forTenant(tenant);
    // The default tenant is the store itself, so data written without tenants is the default tenant's.
    if (tenant === DEFAULT_TENANT) return this;
    let view = this.tenants.get(tenant);
    if (!view) {
      view = new ValidatingWorkflowStore(this.backend.scoped(validate(tenantSchema, tenant, 'tenant')), this.limits, this, tenant);
      this.tenants.set(tenant, view);
    }
    return view;
  }

  checkpointStorage(ttlSeconds?: number): CheckpointStorage {
    checkTtl(ttlSeconds, this.limits, 'ttlSeconds');
    return this.backend.checkpoints;
  }

  async ping(): Promise<void> {
    await this.backend.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend.close();
  }
}

// Every operation in a span (none without an OpenTelemetry SDK): tracing/store-spans.ts.
traceStoreOperations(ValidatingWorkflowStore.prototype, TRACED_OPERATIONS);

/**
 * The id checked as workflowIdSchema checks it, without zod on the common path: a valid id is one regex test (zod
 * cost 7-11 % of a 1 KB HTTP GET's CPU); anything else goes through the schema for its message.
 */
function validId(id: unknown): string {
  return typeof id === 'string' && WORKFLOW_ID_PATTERN.test(id) ? id : validate(workflowIdSchema, id, 'id');
}
