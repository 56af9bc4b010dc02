import NodeCache from 'node-cache';
import { AlreadyExistsError } from '../errors/already-exists.error.js';
import { NotFoundError } from '../errors/not-found.error.js';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import { VersionConflictError } from '../errors/version-conflict.error.js';
import type { LimitsOptions, WorkflowStoreOptions } from '../config/workflow-store.options.js';
import { filterOf, indexKey, rangeOf, type ListRange } from '../shared/list-order.js';
import type { ListSlice, NewRecord, RecordWrite, StorageBackend, WriteReply } from '../shared/storage-backend.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { DEFAULT_STATUS, DEFAULT_TYPE } from '../workflow.schema.js';
import type { JsonObject, RestoreOutcome, Workflow } from '../workflow.types.js';
import type { StoredWorkflowBytes, StoredWorkflowJson } from '../workflow-json.js';
import { readSnapshot, writeSnapshot, type SnapshotEntry } from './memory-snapshot.js';

/** Operation ids remembered per workflow, like the Redis backend's log. */
const MAX_OPERATIONS = 32;

interface Entry {
  workflow: Workflow;
  expiresAtMs: number;
}

/**
 * In-process backend on node-cache, with the same versions, TTL semantics and errors as Redis. Values are copied
 * in (parsed from the JSON the core produced) and out (`structuredClone`), so callers never share stored objects.
 * `list` scans every entry (O(n) per page): fine for the single-process use it is meant for.
 */
export class MemoryStorageBackend implements StorageBackend {
  // useClones off: node-cache's clone is slow and we copy ourselves, exactly once each way.
  private readonly records = new NodeCache({ useClones: false, stdTTL: 0, checkperiod: 60 });
  /** Operation logs outlive a delete (until the workflow's TTL) so a repeated delete or create is recognised. */
  private readonly operations = new NodeCache({ useClones: false, stdTTL: 0, checkperiod: 60 });
  private closed = false;
  /** A store whose snapshot could not be loaded must never write over that file at close. */
  private snapshotLoaded = false;
  /** Tenant views by tenant: each has its own caches; the root loads and writes the snapshot for all. */
  private readonly views = new Map<string, MemoryStorageBackend>();

  /** `root`: set on a tenant view, which only holds data; the root owns the snapshot and the lifecycle. */
  constructor(
    private readonly limits: LimitsOptions,
    private readonly memory: WorkflowStoreOptions['memory'],
    private readonly logger: StoreLogger,
    private readonly root?: MemoryStorageBackend,
  ) {}

  scoped(tenant: string): MemoryStorageBackend {
    if (this.root) return this.root.scoped(tenant);
    let view = this.views.get(tenant);
    if (!view) {
      view = new MemoryStorageBackend(this.limits, {}, this.logger, this);
      this.views.set(tenant, view);
    }
    return view;
  }

  async connect(): Promise<void> {
    const path = this.memory.snapshotPath;
    if (this.root || !path) return;
    const entries = await readSnapshot(path);
    this.snapshotLoaded = true;
    let loaded = 0;
    for (const { tenant, workflow } of entries) {
      const target = tenant === undefined ? this : this.scoped(tenant);
      if ((await target.restore(workflow, JSON.stringify(workflow.state))) === 'written') loaded++;
    }
    this.logger.log(`memory backend loaded ${loaded} of ${entries.length} workflows from ${path} (the rest had expired)`);
  }

  async create(record: NewRecord, operationId: string | undefined): Promise<WriteReply> {
    this.assertOpen();
    if (this.seen(record.id, operationId)) return { kind: 'replayed' };
    const existing = this.entry(record.id);
    if (existing) throw new AlreadyExistsError(record.id, existing.workflow.version);
    const now = Date.now();
    const workflow = this.build(record.id, 1, record.type, record.status, record.stateJson, record.ttlSeconds, now, now);
    return this.commit(workflow, operationId);
  }

  async save(write: RecordWrite, expectedVersion: number | undefined, operationId: string | undefined): Promise<WriteReply> {
    this.assertOpen();
    if (this.seen(write.id, operationId)) return { kind: 'replayed' };
    const existing = this.entry(write.id)?.workflow;
    if (expectedVersion !== undefined) {
      if (!existing) throw new NotFoundError(write.id);
      if (existing.version !== expectedVersion) throw new VersionConflictError(write.id, expectedVersion, existing.version);
    }
    const now = Date.now();
    const workflow = this.build(
      write.id,
      (existing?.version ?? 0) + 1,
      write.type ?? existing?.type ?? DEFAULT_TYPE,
      write.status ?? existing?.status ?? DEFAULT_STATUS,
      write.stateJson,
      write.ttlSeconds ?? existing?.ttlSeconds ?? this.limits.defaultTtlSeconds,
      existing ? Date.parse(existing.createdAt) : now,
      now,
    );
    return this.commit(workflow, operationId);
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

  async getJsonBytes(id: string): Promise<StoredWorkflowBytes | null> {
    const stored = await this.getJson(id);
    return stored && { workflow: stored.workflow, stateBytes: Buffer.from(stored.stateJson) };
  }

  async getForWrite(id: string, operationId: string | undefined): Promise<{ workflow: Workflow | null; replayed: boolean }> {
    return { workflow: await this.get(id), replayed: this.seen(id, operationId) };
  }

  async delete(id: string, expectedVersion: number | undefined, operationId: string | undefined): Promise<'deleted' | 'replayed'> {
    this.assertOpen();
    if (this.seen(id, operationId)) return 'replayed';
    const entry = this.entry(id);
    if (!entry) throw new NotFoundError(id);
    if (expectedVersion !== undefined && entry.workflow.version !== expectedVersion) {
      throw new VersionConflictError(id, expectedVersion, entry.workflow.version);
    }
    this.records.del(id);
    this.remember(id, operationId, entry.expiresAtMs);
    return 'deleted';
  }

  async touch(id: string, ttlSeconds: number | undefined, operationId: string | undefined): Promise<WriteReply> {
    this.assertOpen();
    if (this.seen(id, operationId)) return { kind: 'replayed' };
    const entry = this.entry(id);
    if (!entry) throw new NotFoundError(id);
    const ttl = ttlSeconds ?? entry.workflow.ttlSeconds;
    const expiresAtMs = Date.now() + ttl * 1000;
    const workflow = { ...entry.workflow, ttlSeconds: ttl, expiresAt: new Date(expiresAtMs).toISOString() };
    this.put(workflow, expiresAtMs);
    this.remember(id, operationId, expiresAtMs);
    return { kind: 'applied', workflow: structuredClone(workflow) };
  }

  async listSlice(range: ListRange, limit: number): Promise<ListSlice> {
    this.assertOpen();
    const { kind } = rangeOf(filterOf(range.prefix));
    const matches: { key: string; workflow: Workflow }[] = [];
    for (const id of this.records.keys()) {
      const workflow = this.entry(id)?.workflow;
      if (!workflow) continue;
      const key = indexKey(kind, workflow);
      if (key.startsWith(range.prefix) && (range.after === undefined || key > range.after)) matches.push({ key, workflow });
    }
    matches.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = matches.slice(0, limit);
    return {
      items: page.map((m) => structuredClone(m.workflow)),
      lastKey: page.at(-1)?.key ?? null,
      more: matches.length > limit,
    };
  }

  async restore(record: Workflow, stateJson: string): Promise<RestoreOutcome> {
    this.assertOpen();
    const expiresAtMs = Date.parse(record.expiresAt);
    if (expiresAtMs <= Date.now()) return 'skipped-expired';
    const existing = this.entry(record.id);
    if (existing && existing.workflow.version === record.version) return 'skipped-same';
    if (existing && existing.workflow.version > record.version) return 'skipped-newer';
    this.put({ ...record, state: JSON.parse(stateJson) as JsonObject }, expiresAtMs);
    return 'written';
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
      const live: SnapshotEntry[] = this.liveWorkflows().map((workflow) => ({ workflow }));
      for (const [tenant, view] of this.views) live.push(...view.liveWorkflows().map((workflow) => ({ tenant, workflow })));
      await writeSnapshot(path, live);
      this.logger.log(`memory backend wrote ${live.length} workflows to ${path}`);
    }
    for (const holder of [this, ...this.views.values()]) {
      holder.closed = true;
      holder.records.close();
      holder.operations.close();
    }
  }

  private liveWorkflows(): Workflow[] {
    return this.records.keys().flatMap((id) => {
      const entry = this.entry(id);
      return entry ? [entry.workflow] : [];
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

  private commit(workflow: Workflow, operationId: string | undefined): WriteReply {
    const expiresAtMs = Date.parse(workflow.expiresAt);
    this.put(workflow, expiresAtMs);
    this.remember(workflow.id, operationId, expiresAtMs);
    return { kind: 'applied', workflow: structuredClone(workflow) };
  }

  private put(workflow: Workflow, expiresAtMs: number): void {
    const entry: Entry = { workflow, expiresAtMs };
    this.records.set(workflow.id, entry, Math.max(0.001, (expiresAtMs - Date.now()) / 1000));
  }

  /** node-cache expires lazily on its own clock; the exact expiry is checked here so both backends agree. */
  private entry(id: string): Entry | undefined {
    const entry = this.records.get<Entry>(id);
    if (entry && entry.expiresAtMs <= Date.now()) {
      this.records.del(id);
      return undefined;
    }
    return entry;
  }

  private seen(id: string, operationId: string | undefined): boolean {
    if (operationId === undefined) return false;
    return this.operations.get<Set<string>>(id)?.has(operationId) ?? false;
  }

  private remember(id: string, operationId: string | undefined, expiresAtMs: number): void {
    if (operationId === undefined) return;
    const log = this.operations.get<Set<string>>(id) ?? new Set<string>();
    log.add(operationId);
    if (log.size > MAX_OPERATIONS) log.delete(log.values().next().value as string);
    this.operations.set(id, log, Math.max(0.001, (expiresAtMs - Date.now()) / 1000));
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the memory store is closed');
  }
}
