import NodeCache from 'node-cache';
import { AlreadyExistsError } from '../errors/already-exists.error.js';
import { NotFoundError } from '../errors/not-found.error.js';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import { VersionConflictError } from '../errors/version-conflict.error.js';
import { WrittenSinceError } from '../errors/written-since.error.js';
import type { LimitsOptions, WorkflowStoreOptions } from '../config/workflow-store.options.js';
import type { Idempotency } from '../shared/idempotency.js';
import { indexKey, kindOf, type ListRange } from '../shared/list-order.js';
import type {
  DeleteReply,
  KeptRecord,
  KeptVersions,
  ListSlice,
  NewRecord,
  RecordWrite,
  StampedWorkflowJson,
  StorageBackend,
  StoredReplay,
  VersionRead,
  VersionStamp,
  WriteReply,
} from '../shared/storage-backend.js';
import { DEFAULT_HUB_OPTIONS, EventHub } from '../events/event-hub.js';
import type { EventPosition } from '../events/event-id.js';
import type { WatchFilter, WatchMessage, WorkflowEvent } from '../events/workflow-event.js';
import { EventsDisabledError } from '../errors/events-disabled.error.js';
import { DEFAULT_TENANT } from '../workflow.schema.js';
import { MemoryEventLog } from './memory-event-log.js';
import { MemoryLeases } from './memory-leases.js';
import { MemoryIdempotency } from './memory-idempotency.js';
import { metaOf } from './memory-history.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { DEFAULT_STATUS, DEFAULT_TYPE } from '../workflow.schema.js';
import type { JsonObject, Lease, LeaseView, RestoreOutcome, Workflow } from '../workflow.types.js';
import type { StoredWorkflowBytes, StoredWorkflowJson } from '../workflow-json.js';
import { readSnapshot, writeSnapshot, type SnapshotEntry } from './memory-snapshot.js';
import { MemoryCheckpoints } from './memory-checkpoints.js';
import { MemoryThread } from './memory-thread.js';
import type { CheckpointStorage, ThreadWrite } from '../checkpoints/checkpoint-storage.js';

interface Entry {
  workflow: Workflow;
  /** Its createdAt and updatedAt in ms (the version's stamp), kept so that no write parses them back. */
  stamp: VersionStamp;
  expiresAtMs: number;
  /** Kept earlier versions, newest first, at most WORKFLOW_HISTORY_VERSIONS: they live and go with the entry. */
  history: Workflow[];
  /** A LangGraph thread's checkpoints (WorkflowCheckpointSaver): they live and go with the entry. */
  thread?: MemoryThread | undefined;
}

/**
 * In-process backend on node-cache, with the same versions, TTL semantics and errors as Redis. Values are copied
 * in (parsed from the JSON the core produced) and out (`structuredClone`), so callers never share stored objects.
 * `list` scans every entry (O(n) per page): fine for the single-process use it is meant for.
 */
export class MemoryStorageBackend implements StorageBackend {
  // useClones off: node-cache's clone is slow and we copy ourselves, exactly once each way.
  private readonly records = new NodeCache({ useClones: false, stdTTL: 0, checkperiod: 60 });
  /** Remembered idempotency keys (see memory-idempotency.ts). */
  private readonly keys: MemoryIdempotency;
  readonly shards = 1;
  readonly remoteReads = false;
  private closed = false;
  /** A store whose snapshot could not be loaded must never write over that file at close. */
  private snapshotLoaded = false;
  /** Tenant views by tenant: each has its own caches; the root loads and writes the snapshot for all. */
  private readonly views = new Map<string, MemoryStorageBackend>();
  /** This tenant's change feed: written by every write as it commits. */
  private readonly eventLog: MemoryEventLog;
  private eventHub: EventHub | undefined;
  private readonly leases = new MemoryLeases();
  private leaseSweepTimer: NodeJS.Timeout | undefined;
  readonly checkpoints: CheckpointStorage = new MemoryCheckpoints(this);

  /** `root`: set on a tenant view, which only holds data; the root owns the snapshot and the lifecycle. */
  constructor(
    private readonly limits: LimitsOptions,
    private readonly memory: WorkflowStoreOptions['memory'],
    private readonly logger: StoreLogger,
    private readonly root?: MemoryStorageBackend,
    tenant: string = DEFAULT_TENANT,
  ) {
    this.keys = new MemoryIdempotency(limits.idempotencyTtlSeconds * 1000);
    this.eventLog = new MemoryEventLog(tenant, { retentionMs: limits.eventsRetentionSeconds * 1000, maxEvents: limits.eventsMaxPerShard });
    // node-cache found an entry expired on its own check: the store observed the expiry.
    this.records.on('expired', (id: string, entry: Entry) => {
      this.leases.drop(id);
      this.eventLog.append('expired', entry.workflow);
    });
  }

  scoped(tenant: string): MemoryStorageBackend {
    if (this.root) return this.root.scoped(tenant);
    let view = this.views.get(tenant);
    if (!view) {
      view = new MemoryStorageBackend(this.limits, {}, this.logger, this, tenant);
      this.views.set(tenant, view);
    }
    return view;
  }

  async connect(): Promise<void> {
    const path = this.memory.snapshotPath;
    if (this.root) return;
    if (this.limits.leaseSweepIntervalMs > 0) {
      this.leaseSweepTimer = setInterval(() => this.sweepLeases(), this.limits.leaseSweepIntervalMs);
      this.leaseSweepTimer.unref();
    }
    if (!path) return;
    const entries = await readSnapshot(path);
    this.snapshotLoaded = true;
    let loaded = 0;
    for (const { tenant, workflow, history } of entries) {
      const target = tenant === undefined ? this : this.scoped(tenant);
      const kept = (history ?? []).map((earlier) => ({ workflow: earlier, stateJson: JSON.stringify(earlier.state) }));
      if ((await target.restore(workflow, JSON.stringify(workflow.state), kept)) === 'written') loaded++;
    }
    this.logger.log(`memory backend loaded ${loaded} of ${entries.length} workflows from ${path} (the rest had expired)`);
  }

  async create(record: NewRecord, idempotency: Idempotency | undefined): Promise<WriteReply> {
    this.assertOpen();
    const replay = this.keys.replayOf(record.id, idempotency, this.entry(record.id));
    if (replay) return { kind: 'replayed', replay };
    const existing = this.entry(record.id);
    if (existing) throw new AlreadyExistsError(record.id, existing.workflow.version);
    const now = Date.now();
    const workflow = this.build(record.id, 1, record.type, record.status, record.stateJson, record.ttlSeconds, now, now);
    return this.commit(workflow, { createdMs: now, updatedMs: now }, idempotency, []);
  }

  async save(write: RecordWrite, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Promise<WriteReply> {
    this.assertOpen();
    const replay = this.keys.replayOf(write.id, idempotency, this.entry(write.id));
    if (replay) return { kind: 'replayed', replay };
    const existingEntry = this.entry(write.id);
    this.leases.fence(write.id, leaseToken);
    const existing = existingEntry?.workflow;
    if (expectedVersion !== undefined) {
      if (!existing) throw new NotFoundError(write.id);
      assertVersion(write.id, expectedVersion, existing.version);
      const stamp = write.expectedStamp;
      const made = (existingEntry as Entry).stamp;
      // As save-12: the version matches, but another write (another life of the id) made it.
      if (stamp && (made.createdMs !== stamp.createdMs || made.updatedMs !== stamp.updatedMs)) {
        throw new WrittenSinceError(write.id, existing.version);
      }
    }
    const now = Date.now();
    const createdMs = existingEntry?.stamp.createdMs ?? now;
    const workflow = this.build(
      write.id,
      (existing?.version ?? 0) + 1,
      write.type ?? existing?.type ?? DEFAULT_TYPE,
      write.status ?? existing?.status ?? DEFAULT_STATUS,
      write.stateJson,
      write.ttlSeconds ?? existing?.ttlSeconds ?? this.limits.defaultTtlSeconds,
      createdMs,
      now,
    );
    return this.commit(workflow, { createdMs, updatedMs: now }, idempotency, this.historyBelow(workflow, existingEntry), existingEntry?.thread);
  }

  /**
   * A save of a thread's workflow (WorkflowCheckpointSaver) that also changes its checkpoints (`apply`), as one
   * step: an undefined state or status keeps the stored one, a new workflow gets `write.type`.
   */
  saveThread(id: string, write: ThreadWrite, apply: (thread: MemoryThread) => 'interrupted' | 'stale' | undefined): void {
    this.assertOpen();
    const existingEntry = this.entry(id);
    this.leases.fence(id, write.leaseToken);
    const existing = existingEntry?.workflow;
    const thread = existingEntry?.thread ?? new MemoryThread();
    // As save-12: an interrupted thread stays so until a newer root checkpoint; an older one leaves the summary.
    const verdict = apply(thread);
    const keepSummary = verdict === 'stale';
    const status = verdict === 'interrupted' ? 'interrupted' : keepSummary ? existing?.status : write.status;
    const now = Date.now();
    const createdMs = existingEntry?.stamp.createdMs ?? now;
    const workflow = this.build(
      id,
      (existing?.version ?? 0) + 1,
      existing?.type ?? write.type,
      status ?? existing?.status ?? DEFAULT_STATUS,
      (keepSummary ? undefined : write.stateJson) ?? JSON.stringify(existing?.state ?? {}),
      write.ttlSeconds ?? existing?.ttlSeconds ?? this.limits.defaultTtlSeconds,
      createdMs,
      now,
    );
    this.commit(workflow, { createdMs, updatedMs: now }, undefined, this.historyBelow(workflow, existingEntry), thread);
  }

  /** Like the Redis script: the versions just below the new one, as many as the history keeps (a window, not a count). */
  private historyBelow(workflow: Workflow, replaced: Entry | undefined): Workflow[] {
    if (!replaced) return [];
    return [replaced.workflow, ...replaced.history].filter((kept) => kept.version > workflow.version - 1 - this.limits.historyVersions);
  }

  /** The thread's checkpoints while its workflow lives; `create` makes them for a live workflow without any. */
  threadOf(id: string, create: boolean): MemoryThread | undefined {
    this.assertOpen();
    const entry = this.entry(id);
    if (!entry) return undefined;
    if (!entry.thread && create) entry.thread = new MemoryThread();
    return entry.thread;
  }

  async get(id: string): Promise<Workflow | null> {
    this.assertOpen();
    const entry = this.entry(id);
    return entry ? structuredClone(entry.workflow) : null;
  }

  async getJson(id: string): Promise<StoredWorkflowJson | null> {
    this.assertOpen();
    const entry = this.entry(id);
    if (!entry) return null;
    const { state, ...workflow } = entry.workflow;
    return { workflow, stateJson: JSON.stringify(state) };
  }

  async getStamped(id: string): Promise<StampedWorkflowJson | null> {
    const stored = await this.getJson(id);
    // The entry's stamp is never changed in place (a write puts a new entry): the caller may keep it.
    return stored && { ...stored, stamp: (this.entry(id) as Entry).stamp };
  }

  async getJsonBytes(id: string): Promise<StoredWorkflowBytes | null> {
    const stored = await this.getJson(id);
    return stored && { workflow: stored.workflow, stateBytes: Buffer.from(stored.stateJson) };
  }

  async getForWrite(id: string, idempotency: Idempotency | undefined): Promise<{ workflow: Workflow | null; replay?: StoredReplay }> {
    this.assertOpen();
    const replay = this.keys.replayOf(id, idempotency, this.entry(id));
    return { workflow: await this.get(id), ...(replay ? { replay } : {}) };
  }

  async delete(id: string, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Promise<DeleteReply> {
    this.assertOpen();
    const replay = this.keys.replayOf(id, idempotency, this.entry(id));
    if (replay) return { kind: 'replayed', replay };
    const entry = this.entry(id);
    if (!entry) throw new NotFoundError(id);
    this.leases.fence(id, leaseToken);
    const { version } = entry.workflow;
    assertVersion(id, expectedVersion, version);
    this.records.del(id);
    this.leases.drop(id);
    this.keys.remember(id, idempotency, 'D', entry.workflow, entry.expiresAtMs);
    this.eventLog.append('deleted', entry.workflow);
    return { kind: 'deleted', version };
  }

  async touch(
    id: string,
    ttlSeconds: number | undefined,
    idempotency: Idempotency | undefined,
    leaseToken: number | undefined,
    expectedVersion?: number,
  ): Promise<WriteReply> {
    this.assertOpen();
    const replay = this.keys.replayOf(id, idempotency, this.entry(id));
    if (replay) return { kind: 'replayed', replay };
    const entry = this.entry(id);
    if (!entry) throw new NotFoundError(id);
    this.leases.fence(id, leaseToken);
    const { version } = entry.workflow;
    assertVersion(id, expectedVersion, version);
    const ttl = ttlSeconds ?? entry.workflow.ttlSeconds;
    const expiresAtMs = Date.now() + ttl * 1000;
    const workflow = { ...entry.workflow, ttlSeconds: ttl, expiresAt: new Date(expiresAtMs).toISOString() };
    this.put(workflow, entry.stamp, expiresAtMs, entry.history, entry.thread);
    this.leases.afterWrite(id);
    this.keys.remember(id, idempotency, 'T', workflow, expiresAtMs);
    this.eventLog.append('touched', workflow);
    return { kind: 'applied', workflow: structuredClone(workflow) };
  }

  /** One shard: every matching entry after the position, sorted by index key (a scan: O(n) per page). */
  async listSlice(range: ListRange, limit: number): Promise<ListSlice> {
    this.assertOpen();
    const kind = kindOf(range.prefix);
    const after = range.position?.after;
    const matches: { key: string; workflow: Workflow }[] = [];
    for (const id of this.records.keys()) {
      const workflow = this.entry(id)?.workflow;
      if (!workflow) continue;
      if (kind === 'z' && !this.leases.isStalled(id)) continue;
      const key = indexKey(kind, workflow);
      if (key.startsWith(range.prefix) && (after === undefined || key > after)) matches.push({ key, workflow });
    }
    matches.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = matches.slice(0, limit);
    const lastKey = page.at(-1)?.key;
    return {
      items: page.map((m) => structuredClone(m.workflow)),
      next: matches.length > limit && lastKey !== undefined ? { shard: 0, after: lastKey } : null,
    };
  }

  async restore(record: Workflow, stateJson: string, history: readonly KeptRecord[] = []): Promise<RestoreOutcome> {
    this.assertOpen();
    const expiresAtMs = Date.parse(record.expiresAt);
    if (expiresAtMs <= Date.now()) return 'skipped-expired';
    const existing = this.entry(record.id);
    if (existing && existing.workflow.version === record.version) return 'skipped-same';
    if (existing && existing.workflow.version > record.version) return 'skipped-newer';
    // Like the Redis script: the versions just below the restored one, as many as the history keeps.
    // A version given twice keeps its last copy (as the script's HSET does).
    const byVersion = new Map<number, Workflow>();
    for (const earlier of history) {
      if (earlier.workflow.version < record.version && earlier.workflow.version > record.version - 1 - this.limits.historyVersions) {
        byVersion.set(earlier.workflow.version, { ...earlier.workflow, state: JSON.parse(earlier.stateJson) as JsonObject });
      }
    }
    const kept = [...byVersion.values()].sort((a, b) => b.version - a.version);
    const workflow = { ...record, state: JSON.parse(stateJson) as JsonObject };
    this.put(workflow, { createdMs: Date.parse(record.createdAt), updatedMs: Date.parse(record.updatedAt) }, expiresAtMs, kept, existing?.thread);
    this.leases.drop(record.id);
    this.eventLog.append('restored', workflow);
    return 'written';
  }

  async acquireLease(id: string, owner: string, ttlMs: number): Promise<Lease> {
    this.assertOpen();
    const entry = this.entry(id);
    if (!entry) throw new NotFoundError(id);
    const lease = this.leases.acquire(id, owner, ttlMs);
    this.eventLog.append('lease-acquired', entry.workflow, lease);
    return lease;
  }

  async renewLease(id: string, token: number, ttlMs: number): Promise<Lease> {
    this.assertOpen();
    if (!this.entry(id)) throw new NotFoundError(id);
    return this.leases.renew(id, token, ttlMs);
  }

  /** As release-lease-6.lua: existence, then the token, then the version. */
  async releaseLease(id: string, token: number, expectedVersion?: number): Promise<void> {
    this.assertOpen();
    const entry = this.entry(id);
    if (!entry) throw new NotFoundError(id);
    this.leases.checkRelease(id, token);
    const { version } = entry.workflow;
    assertVersion(id, expectedVersion, version);
    this.eventLog.append('lease-released', entry.workflow, this.leases.markReleased(id));
  }

  async getLease(id: string): Promise<LeaseView | null> {
    this.assertOpen();
    return this.entry(id) ? this.leases.view(id) : null;
  }

  async events(id: string, limit: number): Promise<WorkflowEvent[]> {
    this.assertOpen();
    if (this.limits.eventsRetentionSeconds === 0) throw new EventsDisabledError();
    return this.eventLog.eventsOf(id, limit);
  }

  /** Marks expired leases of this tenant (the root: of every tenant), recording a lease-expired event for each. */
  sweepLeases(): number {
    let found = 0;
    for (const backend of this.root ? [this] : [this, ...this.views.values()]) {
      for (const lease of backend.leases.sweep()) {
        const entry = backend.entry(lease.id);
        if (!entry) continue;
        backend.eventLog.append('lease-expired', entry.workflow, lease);
        found += 1;
      }
    }
    return found;
  }

  async listVersions(id: string): Promise<KeptVersions | null> {
    this.assertOpen();
    const entry = this.entry(id);
    if (!entry) return null;
    return { current: metaOf(entry.workflow), oldestVersion: entry.history.at(-1)?.version ?? entry.workflow.version, kept: entry.history.map(metaOf) };
  }

  async readVersion(id: string, version: number): Promise<VersionRead | null> {
    this.assertOpen();
    const entry = this.entry(id);
    if (!entry) return null;
    const found = [entry.workflow, ...entry.history].find((kept) => kept.version === version);
    return {
      currentVersion: entry.workflow.version,
      oldestVersion: entry.history.at(-1)?.version ?? entry.workflow.version,
      found: found ? { workflow: metaOf(found), stateJson: JSON.stringify(found.state) } : null,
    };
  }

  async watch(filter: WatchFilter, after: EventPosition | undefined, signal: AbortSignal | undefined): Promise<AsyncIterableIterator<WatchMessage>> {
    this.assertOpen();
    if (this.limits.eventsRetentionSeconds === 0) throw new EventsDisabledError();
    this.eventHub ??= new EventHub(this.eventLog, { ...DEFAULT_HUB_OPTIONS, retentionMs: this.limits.eventsRetentionSeconds * 1000 });
    return this.eventHub.watch(filter, after, signal);
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.records.keys().filter((id) => this.entry(id) !== undefined).length;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed || this.root) return; // a view is closed by its root
    const path = this.memory.snapshotPath;
    if (path && this.snapshotLoaded) {
      const live: SnapshotEntry[] = this.liveEntries();
      // One push per entry: a spread of a large tenant's entries would exceed the argument limit (about 120 000).
      for (const [tenant, view] of this.views) for (const entry of view.liveEntries()) live.push({ tenant, ...entry });
      await writeSnapshot(path, live);
      this.logger.log(`memory backend wrote ${live.length} workflows to ${path}`);
    }
    if (this.leaseSweepTimer) clearInterval(this.leaseSweepTimer);
    for (const holder of [this, ...this.views.values()]) {
      holder.eventHub?.close();
      holder.closed = true;
      holder.records.close();
      holder.keys.close();
    }
  }

  /** Live workflows with their kept versions, oldest first (as a snapshot line carries them). */
  private liveEntries(): SnapshotEntry[] {
    return this.records.keys().flatMap((id) => {
      const entry = this.entry(id);
      return entry ? [{ workflow: entry.workflow, history: [...entry.history].reverse() }] : [];
    });
  }

  private build(
    id: string,
    version: number,
    type: string,
    status: string,
    stateJson: string,
    ttlSeconds: number,
    createdAtMs: number,
    updatedAtMs: number,
  ): Workflow {
    return {
      id,
      type,
      status,
      state: JSON.parse(stateJson) as JsonObject,
      version,
      createdAt: new Date(createdAtMs).toISOString(),
      updatedAt: new Date(updatedAtMs).toISOString(),
      expiresAt: new Date(updatedAtMs + ttlSeconds * 1000).toISOString(),
      ttlSeconds,
    };
  }

  private commit(workflow: Workflow, stamp: VersionStamp, idempotency: Idempotency | undefined, history: Workflow[], thread?: MemoryThread): WriteReply {
    // What build() wrote as expiresAt, without parsing it back.
    const expiresAtMs = stamp.updatedMs + workflow.ttlSeconds * 1000;
    this.put(workflow, stamp, expiresAtMs, history, thread);
    // A created workflow starts without the lease of an earlier life of its id; a written one is no longer stalled.
    if (workflow.version === 1) this.leases.drop(workflow.id);
    else this.leases.afterWrite(workflow.id);
    this.keys.remember(workflow.id, idempotency, workflow.version === 1 ? 'C' : 'W', workflow, expiresAtMs);
    this.eventLog.append(workflow.version === 1 ? 'created' : 'updated', workflow);
    return { kind: 'applied', workflow: structuredClone(workflow), stamp };
  }

  private put(workflow: Workflow, stamp: VersionStamp, expiresAtMs: number, history: Workflow[], thread: MemoryThread | undefined): void {
    const entry: Entry = { workflow, stamp, expiresAtMs, history, thread };
    this.records.set(workflow.id, entry, Math.max(0.001, (expiresAtMs - Date.now()) / 1000));
  }

  /** node-cache expires lazily on its own clock; the exact expiry is checked here so both backends agree. */
  private entry(id: string): Entry | undefined {
    const entry = this.records.get<Entry>(id);
    if (entry && entry.expiresAtMs <= Date.now()) {
      this.records.del(id);
      this.leases.drop(id);
      this.eventLog.append('expired', entry.workflow);
      return undefined;
    }
    return entry;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the memory store is closed');
  }
}

/** The scripts' version check: a write that names a version applies only to that version. */
function assertVersion(id: string, expectedVersion: number | undefined, version: number): void {
  if (expectedVersion !== undefined && version !== expectedVersion) throw new VersionConflictError(id, expectedVersion, version);
}
