import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import { WorkflowStoreError } from '../errors/workflow-store.error.js';
import type { LimitsOptions, RedisOptions } from '../config/workflow-store.options.js';
import { IdempotencyKeyReusedError } from '../errors/idempotency-key-reused.error.js';
import type { Idempotency } from '../shared/idempotency.js';
import type { ListRange } from '../shared/list-order.js';
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
  WriteReply,
} from '../shared/storage-backend.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { DEFAULT_STATUS, DEFAULT_TENANT, DEFAULT_TYPE } from '../workflow.schema.js';
import type { Lease, LeaseView, RestoreOutcome, Workflow } from '../workflow.types.js';
import { connectWhenReady, createStoreClient } from './redis-client.factory.js';
import type { StoreRedisClient } from './redis-client.types.js';
import {
  createdMsOfRecord,
  stampedWorkflowFromRecord,
  stampOfWriteReply,
  storedWorkflowFromRecord,
  recordOf,
  storedWorkflowFromRecordBytes,
  workflowFromRecord,
  workflowFromWriteReply,
} from './redis-codec.js';
import type { StoredWorkflowBytes, StoredWorkflowJson } from '../workflow-json.js';
import { mapRedisError, scriptRefusal, ScriptStatus } from './redis-errors.js';
import { RedisKeys, type WorkflowKeys } from './redis-keys.js';
import { leaseOf, leaseViewOf } from './redis-leases.js';
import { walkShards } from './redis-list-walk.js';
import { defineScripts, runScript, type ScriptName } from './redis-scripts.js';
import { checkRedisServer } from './persistence-check.js';
import { checkStorageFormat, ensureTenantFormat, readFormatRecords } from './storage-format.js';
import { keptVersionsOf, versionReadOf } from './redis-history.js';
import { ReplicaConfirmation } from './replica-confirmation.js';
import { replayFrom, replayOfRecord } from './redis-replay.js';
import { TenantSweep } from './tenant-sweep.js';
import { TickCork } from './tick-cork.js';
import { NoticeHub } from './feed/notice-hub.js';
import { RedisFeedSource } from './feed/redis-feed-source.js';
import { readWorkflowEvents } from './feed/workflow-events.js';
import { DEFAULT_HUB_OPTIONS, EventHub } from '../events/event-hub.js';
import type { EventPosition } from '../events/event-id.js';
import type { WatchFilter, WatchMessage, WorkflowEvent } from '../events/workflow-event.js';
import { EventsDisabledError } from '../errors/events-disabled.error.js';
import type { CheckpointStorage } from '../checkpoints/checkpoint-storage.js';
import { RedisCheckpoints } from './redis-checkpoints.js';

/** Expired index entries each write sweeps from its shard, on top of the periodic sweep. */
const PURGE_PER_WRITE = 16;
const PURGE_PER_SWEEP = 1000;

/**
 * Redis backend: every write is one atomic Lua script (lua/*.lua), reads are plain commands. The client fails
 * fast instead of queueing (see redis-client.factory.ts), and every failure is mapped to a typed error in
 * redis-errors.ts.
 */
export class RedisStorageBackend implements StorageBackend {
  readonly client: StoreRedisClient;
  readonly keys: RedisKeys;
  /** The periodic sweeps over every tenant's shards: expired index entries, expired leases (root only). */
  private readonly purgeSweep: TenantSweep;
  private readonly leaseSweep: TenantSweep;
  /** WAIT-based confirmation of writes for REDIS_DURABILITY=replica. */
  private readonly replicaAck: ReplicaConfirmation;
  /** One socket write for the reads of a tick (tick-cork.ts); the root's, shared by its views. */
  private readonly cork: TickCork;
  private wasReady = false;
  /** Set once the connection was lost after boot, so "ready again" is only said after a real outage. */
  private lost = false;
  private closing = false;
  /** Counts connection losses (root only), so a WAIT can tell it is on the connection its write went on. */
  private connectionEpoch = 0;
  /** Tenant views by tenant; they share this backend's connection. */
  private readonly views = new Map<string, RedisStorageBackend>();
  /**
   * How far this tenant's format is known to fit: `recorded` (its record fits: reads and writes go ahead),
   * `readable` (no record and no v1 data: reads go ahead, the first write records the format), or not checked yet.
   */
  private formatLevel: 'unchecked' | 'readable' | 'recorded' = 'unchecked';
  private readonly formatChecks: { read?: Promise<void> | undefined; write?: Promise<void> | undefined } = {};
  /** This tenant's change feed in this process, created by the first watch. */
  private eventHub: EventHub | undefined;
  /** The root's notice channels (one subscriber connection per master), created by the first watch of any tenant. */
  private noticeHub: NoticeHub | undefined;
  readonly shards: number;
  readonly remoteReads = true;
  readonly checkpoints: CheckpointStorage = new RedisCheckpoints(this);

  /** `view`: a tenant view of `view.root`; every key carries the tenant in its hash tag. */
  constructor(
    private readonly options: RedisOptions,
    private readonly limits: LimitsOptions,
    private readonly logger: StoreLogger,
    private readonly view?: { root: RedisStorageBackend; tenant: string },
  ) {
    this.shards = options.shards;
    this.keys = new RedisKeys(options.keyPrefix, view?.tenant ?? DEFAULT_TENANT, options.shards);
    const sweep = (name: string, shardSweep: (backend: RedisStorageBackend, shard: number) => Promise<number>): TenantSweep =>
      new TenantSweep(name, this.logger, {
        shards: this.shards,
        tenants: async () => [...(await this.read(name, () => readFormatRecords(this.client, this.options.keyPrefix))).keys()],
        sweepShard: (tenant, shard) => shardSweep(tenant === DEFAULT_TENANT ? this : this.scoped(tenant), shard),
      });
    this.purgeSweep = sweep('sweep of expired index entries', (backend, shard) => backend.purgeShard(shard));
    this.leaseSweep = sweep('lease sweep', (backend, shard) => backend.expireLeases(shard));
    this.replicaAck = new ReplicaConfirmation({
      client: () => this.client,
      epoch: () => this.epoch,
      keys: this.keys,
      timeoutMs: options.replicaAckTimeoutMs ?? 250,
      assertReady: (operation) => this.assertReady(operation),
    });
    if (view) {
      this.client = view.root.client;
      this.cork = view.root.cork;
      return;
    }
    this.client = createStoreClient(options);
    this.cork = new TickCork(this.client, options.commandBatching);
    defineScripts(this.client);
    this.watchConnection();
  }

  /** A tenant's keys carry the tenant in their hash tag: its records and indexes never meet another's. */
  scoped(tenant: string): RedisStorageBackend {
    if (this.view) return this.view.root.scoped(tenant);
    let view = this.views.get(tenant);
    if (!view) {
      view = new RedisStorageBackend(this.options, this.limits, this.logger, { root: this, tenant });
      this.views.set(tenant, view);
    }
    return view;
  }

  async connect(): Promise<void> {
    if (this.view) return; // the root connects
    await connectWhenReady(this.client, this.options, this.logger);
    try {
      await checkRedisServer(this.client, this.options.persistenceCheck, this.logger);
      if (this.options.formatCheck !== 'off') {
        const found = await checkStorageFormat(this.client, this.options.keyPrefix, this.shards);
        this.formatLevel = found === 'recorded' ? 'recorded' : 'readable';
      }
    } catch (error) {
      this.client.disconnect();
      throw error instanceof WorkflowStoreError ? error : mapRedisError(error, 'boot check', false);
    }
    this.wasReady = true;
    this.purgeSweep.start(this.options.purgeIntervalMs);
    this.leaseSweep.start(this.limits.leaseSweepIntervalMs);
  }

  async create(record: NewRecord, idempotency: Idempotency | undefined): Promise<WriteReply> {
    const reply = await this.write('create', record.id, idempotency, [
      record.id,
      record.type,
      record.status,
      record.stateJson,
      record.ttlSeconds,
      idempotency?.fingerprint ?? '',
      this.idempotencyWindowMs,
      PURGE_PER_WRITE,
      ...this.feedArgs,
      this.indexMarginFloorMs,
    ]);
    return this.writeReply(reply, record.id, record.stateJson, idempotency);
  }

  async save(write: RecordWrite, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Promise<WriteReply> {
    const reply = await this.write('save', write.id, idempotency, this.saveArgs(write, expectedVersion, idempotency, leaseToken));
    return this.writeReply(reply, write.id, write.stateJson, idempotency, expectedVersion, leaseToken);
  }

  /**
   * A save of a thread's workflow that also stores a checkpoint or pending writes (`extra`: save-12's ARGV[18] on),
   * in the same script. Throws the typed refusal (LeaseHeld, LeaseLost).
   */
  async saveThread(write: RecordWrite, newType: string, leaseToken: number | undefined, extra: (string | number | Buffer)[]): Promise<void> {
    const reply = await this.write('save', write.id, undefined, [...this.saveArgs(write, undefined, undefined, leaseToken, newType), ...extra]);
    if (Number(reply[0]) !== ScriptStatus.Applied) throw scriptRefusal(reply, write.id, undefined, undefined, leaseToken);
  }

  /** A script on a thread's own keys (checkpoint writes, reads), with the typed errors; replies keep their bytes. */
  async runThreadScript(name: ScriptName, thread: string, keys: string[], args: (string | number | Buffer)[], isWrite: boolean): Promise<unknown[]> {
    if (isWrite) {
      if (this.formatLevel !== 'recorded') await this.ensureFormat();
      return this.runWrite(name, thread, keys, args);
    }
    if (this.formatLevel === 'unchecked') await this.ensureFormat(false);
    return (await this.run(name, keys, args, name, false, true)) as unknown[];
  }

  /** save-12's arguments; `newType` is the type of a workflow this save creates without naming one. */
  private saveArgs(
    write: RecordWrite,
    expectedVersion: number | undefined,
    idempotency: Idempotency | undefined,
    leaseToken: number | undefined,
    newType = DEFAULT_TYPE,
  ): (string | number)[] {
    return [
      write.id,
      write.type ?? '',
      write.status ?? '',
      write.stateJson,
      write.ttlSeconds ?? '',
      expectedArg(expectedVersion, write),
      idempotency?.fingerprint ?? '',
      this.idempotencyWindowMs,
      PURGE_PER_WRITE,
      newType,
      DEFAULT_STATUS,
      this.limits.defaultTtlSeconds,
      ...this.feedArgs,
      this.limits.historyVersions,
      leaseToken ?? '',
      this.indexMarginFloorMs,
    ];
  }

  private get idempotencyWindowMs(): number {
    return this.limits.idempotencyTtlSeconds * 1000;
  }

  /**
   * How long index keys at least outlive their longest-lived workflow: two sweep intervals, so the sweep still finds
   * an expired workflow (to record its expiry event) before its shard's index expires; 0 without a periodic sweep.
   */
  private get indexMarginFloorMs(): number {
    return this.options.purgeIntervalMs * 2;
  }

  /** The scripts' change-feed arguments: retention in ms (0 = no events) and the per-shard cap. */
  private get feedArgs(): [number, number] {
    return [this.limits.eventsRetentionSeconds * 1000, this.limits.eventsMaxPerShard];
  }

  async get(id: string): Promise<Workflow | null> {
    return workflowFromRecord(id, await this.readRecord(id));
  }

  async getJson(id: string): Promise<StoredWorkflowJson | null> {
    return storedWorkflowFromRecord(id, await this.readRecord(id));
  }

  async getStamped(id: string): Promise<StampedWorkflowJson | null> {
    return stampedWorkflowFromRecord(id, await this.readRecord(id));
  }

  async getJsonBytes(id: string): Promise<StoredWorkflowBytes | null> {
    return storedWorkflowFromRecordBytes(id, await this.readRecord(id, true));
  }

  /** A record is one string: one GET, one bulk reply, as a string or as the bytes. No wrapper function on this hot path. */
  private readRecord(id: string): Promise<string | null>;
  private readRecord(id: string, bytes: true): Promise<Buffer | null>;
  private readRecord(id: string, bytes = false): Promise<string | Buffer | null> {
    // The root's format was checked at boot; a tenant view's at its first use (after it, this is one comparison).
    if (this.formatLevel === 'unchecked' && this.options.formatCheck !== 'off') {
      return this.ensureFormat(false).then((): Promise<string | Buffer | null> => (bytes ? this.readRecord(id, true) : this.readRecord(id)));
    }
    this.assertReady('get');
    const key = this.keys.record(id);
    this.cork.hold();
    return (bytes ? this.client.getBuffer(key) : this.client.get(key)).catch((error: unknown) => {
      throw mapRedisError(error, 'get', false);
    });
  }

  async getForWrite(id: string, idempotency: Idempotency | undefined): Promise<{ workflow: Workflow | null; replay?: StoredReplay }> {
    if (this.formatLevel !== 'recorded') await this.ensureFormat();
    const keys = this.keys.forWorkflow(id, idempotency?.key);
    const [record, remembered] = await this.read('read for write', () =>
      Promise.all([this.client.get(keys.record), idempotency ? this.client.get(keys.idempotency) : Promise.resolve(null)]),
    );
    if (remembered === null || !idempotency) return { workflow: workflowFromRecord(id, record) };
    const [fingerprint, outcome, version, created] = remembered.split('|');
    if (fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError(id, idempotency.key);
    // REDIS_DURABILITY=replica: a replay is a success only once a replica has the write it replays.
    if (this.options.durability === 'replica') await this.replicaAck.confirmReplay(id, 'replay');
    const replay = replayOfRecord(id, outcome ?? '', version, created, record);
    // Moved on since: answer with the version the write produced while the history holds it (as the scripts do).
    if (replay.changedSince && replay.current && replay.outcome !== 'deleted') {
      const kept = await this.read('read for write', () => this.client.hget(keys.history, String(version)));
      const produced = storedWorkflowFromRecord(id, kept);
      if (produced && kept !== null && String(createdMsOfRecord(kept)) === created) return { workflow: workflowFromRecord(id, record), replay: { ...replay, produced } };
    }
    return { workflow: workflowFromRecord(id, record), replay };
  }

  async delete(id: string, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Promise<DeleteReply> {
    const reply = await this.write('delete', id, idempotency, [
      id,
      expectedVersion ?? '',
      idempotency?.fingerprint ?? '',
      this.idempotencyWindowMs,
      PURGE_PER_WRITE,
      ...this.feedArgs,
      leaseToken ?? '',
    ]);
    const status = Number(reply[0]);
    if (status === ScriptStatus.Applied) return { kind: 'deleted', version: Number(reply[1]) };
    if (status === ScriptStatus.Replayed) return { kind: 'replayed', replay: replayFrom(id, reply) };
    throw scriptRefusal(reply, id, expectedVersion, idempotency?.key, leaseToken);
  }

  async touch(
    id: string,
    ttlSeconds: number | undefined,
    idempotency: Idempotency | undefined,
    leaseToken: number | undefined,
    expectedVersion?: number,
  ): Promise<WriteReply> {
    const reply = await this.write('touch', id, idempotency, [
      id,
      ttlSeconds ?? '',
      idempotency?.fingerprint ?? '',
      this.idempotencyWindowMs,
      PURGE_PER_WRITE,
      ...this.feedArgs,
      leaseToken ?? '',
      this.indexMarginFloorMs,
      expectedVersion ?? '',
    ]);
    const status = Number(reply[0]);
    if (status === ScriptStatus.Replayed) return { kind: 'replayed', replay: replayFrom(id, reply) };
    if (status !== ScriptStatus.Applied) throw scriptRefusal(reply, id, expectedVersion, idempotency?.key, leaseToken);
    const stored = storedWorkflowFromRecord(id, reply[1] === undefined ? null : String(reply[1]));
    if (!stored) throw new WorkflowStoreError('internal', `touch of ${id} returned no record`);
    return { kind: 'applied-json', ...stored };
  }

  /** Walks the shards in order from the range's position (see redis-list-walk.ts). */
  async listSlice(range: ListRange, limit: number): Promise<ListSlice> {
    await this.ensureFormat(false);
    return walkShards(this.client, this.keys, range, limit, (operation, command) => this.read(operation, command));
  }

  async restore(record: Workflow, stateJson: string, history: readonly KeptRecord[] = []): Promise<RestoreOutcome> {
    const reply = await this.write('restore', record.id, undefined, [
      record.id,
      record.type,
      record.status,
      stateJson,
      record.version,
      Date.parse(record.createdAt),
      Date.parse(record.updatedAt),
      Date.parse(record.expiresAt),
      record.ttlSeconds,
      PURGE_PER_WRITE,
      ...this.feedArgs,
      this.limits.historyVersions,
      this.indexMarginFloorMs,
      ...history.flatMap((kept) => [kept.workflow.version, recordOf(kept.workflow, kept.stateJson)]),
    ]);
    const status = Number(reply[0]);
    if (status === ScriptStatus.Applied) return 'written';
    if (status === ScriptStatus.Expired) return 'skipped-expired';
    if (status === ScriptStatus.StoredIsNewer) return Number(reply[1]) === record.version ? 'skipped-same' : 'skipped-newer';
    throw scriptRefusal(reply, record.id);
  }

  async listVersions(id: string): Promise<KeptVersions | null> {
    await this.ensureFormat(false);
    const keys = this.keys.forWorkflow(id);
    return keptVersionsOf(id, (await this.run('history', [keys.record, keys.history], [''], 'history', false)) as unknown[]);
  }

  async readVersion(id: string, version: number): Promise<VersionRead | null> {
    await this.ensureFormat(false);
    const keys = this.keys.forWorkflow(id);
    return versionReadOf(id, (await this.run('history', [keys.record, keys.history], [version], 'get version', false)) as unknown[]);
  }

  /** See feed/workflow-events.ts: the workflow's shard stream, read backwards in pages. */
  async events(id: string, limit: number): Promise<WorkflowEvent[]> {
    if (this.limits.eventsRetentionSeconds === 0) throw new EventsDisabledError();
    await this.ensureFormat(false);
    const shard = this.keys.shardOf(id);
    const tenant = this.view?.tenant ?? DEFAULT_TENANT;
    return this.read('events', () => readWorkflowEvents(this.client, this.keys.shard(shard).events, shard, tenant, id, limit));
  }

  /** The tenant's feed: one hub per tenant per process, reading the shard streams (see feed/redis-feed-source.ts). */
  async watch(filter: WatchFilter, after: EventPosition | undefined, signal: AbortSignal | undefined): Promise<AsyncIterableIterator<WatchMessage>> {
    if (this.limits.eventsRetentionSeconds === 0) throw new EventsDisabledError();
    await this.ensureFormat(false);
    this.assertReady('watch');
    if (!this.eventHub) {
      const root = this.view?.root ?? this;
      root.noticeHub ??= new NoticeHub(root.client, this.options, this.logger);
      this.eventHub = new EventHub(
        new RedisFeedSource({
          client: this.client,
          keys: this.keys,
          tenant: this.view?.tenant ?? DEFAULT_TENANT,
          retentionMs: this.limits.eventsRetentionSeconds * 1000,
          notices: root.noticeHub,
          logger: this.logger,
        }),
        { ...DEFAULT_HUB_OPTIONS, retentionMs: this.limits.eventsRetentionSeconds * 1000 },
        (late) => this.logger.warn(`change feed: ${late.length} event(s) arrived after later ones were delivered (first ${late[0]?.event.eventId}); watches were reset`),
      );
    }
    try {
      return await this.eventHub.watch(filter, after, signal);
    } catch (error) {
      throw mapRedisError(error, 'watch', false);
    }
  }

  /** Counts expiry-index entries still in the future by Redis' clock (TIME): one per live workflow, swept or not. */
  async count(): Promise<number> {
    await this.ensureFormat(false);
    const [seconds, micros] = await this.read('count', () => this.client.time());
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const perShard = await this.read('count', () =>
      Promise.all(Array.from({ length: this.shards }, (_, shard) => this.client.zcount(this.keys.shard(shard).expiry, `(${now}`, '+inf'))),
    );
    return perShard.reduce((sum, n) => sum + n, 0);
  }

  /** Sweeps index entries of expired workflows in every shard of this tenant; returns how many were removed. */
  async purgeExpired(): Promise<number> {
    let removed = 0;
    for (let shard = 0; shard < this.shards; shard++) removed += await this.purgeShard(shard);
    return removed;
  }

  async purgeShard(shard: number): Promise<number> {
    const keys = this.keys.shard(shard);
    return Number(
      await this.run(
        'purgeExpired',
        [keys.index, keys.expiry, keys.labels, keys.events, keys.notice, keys.leases, keys.leaseExpiry],
        [PURGE_PER_SWEEP, ...this.feedArgs],
        'purge',
        true,
      ),
    );
  }

  /** One tick of the periodic sweep of expired index entries over every tenant (see tenant-sweep.ts). */
  sweepTick(): Promise<number> {
    return this.purgeSweep.tick();
  }

  /** Marks the expired leases of one shard of this tenant (see expire-leases-7.lua); returns how many. */
  async expireLeases(shard: number): Promise<number> {
    const keys = this.keys.shard(shard);
    return Number(
      await this.run(
        'expireLeases',
        [keys.leaseExpiry, keys.leases, keys.index, keys.expiry, keys.labels, keys.events, keys.notice],
        [PURGE_PER_SWEEP, ...this.feedArgs],
        'lease sweep',
        true,
      ),
    );
  }

  /** One tick of the sweep of expired leases over every tenant (see tenant-sweep.ts). */
  leaseSweepTick(): Promise<number> {
    return this.leaseSweep.tick();
  }

  async ping(): Promise<void> {
    await this.read('ping', () => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.view) return; // the connection is the root's
    // A sweep tick in flight ends after its current shard (each command is bounded by the command timeout).
    await Promise.all([this.purgeSweep.stop(), this.leaseSweep.stop()]);
    for (const backend of [this, ...this.views.values()]) backend.eventHub?.close();
    this.noticeHub?.close();
    this.closing = true;
    if (this.client.status === 'end' || this.client.status === 'close' || this.client.status === 'reconnecting') {
      this.client.disconnect(); // stops any pending reconnect; no socket is open to QUIT on
      return;
    }
    try {
      if (this.client.status === 'ready') await this.client.quit();
      else this.client.disconnect();
      // ioredis 6.0.0: QUIT leaves the failover detector's Sentinel subscriptions open (the process never exits);
      // disconnect() after it closes them.
      if (this.options.sentinel) this.client.disconnect();
    } catch {
      this.client.disconnect(); // QUIT could not be sent or answered: drop the socket anyway
    }
  }

  private async write(name: ScriptName, id: string, idempotency: Idempotency | undefined, args: (string | number | Buffer)[]): Promise<unknown[]> {
    if (this.formatLevel !== 'recorded') await this.ensureFormat();
    const keys = this.keys.forWorkflow(id, idempotency?.key);
    const scriptKeys = [
      keys.record,
      keys.idempotency,
      keys.index,
      keys.expiry,
      keys.labels,
      keys.history,
      keys.events,
      keys.notice,
      keys.leases,
      keys.leaseExpiry,
      keys.checkpoints,
      keys.checkpointOrder,
    ];
    return this.runWrite(name, id, scriptKeys, args);
  }

  /** A write script on keys of one workflow's shard; with REDIS_DURABILITY=replica confirmed by a replica. */
  private async runWrite(name: ScriptName, id: string, keys: string[], args: (string | number | Buffer)[]): Promise<unknown[]> {
    if (this.options.durability === 'replica') return this.replicaAck.writeConfirmed(name, id, keys, args);
    return (await this.run(name, keys, args, name, true)) as unknown[];
  }

  async acquireLease(id: string, owner: string, ttlMs: number): Promise<Lease> {
    const keys = await this.leaseKeys(id);
    const reply = await this.runWrite('acquireLease', id, [keys.record, keys.index, keys.events, keys.notice, keys.leases, keys.leaseExpiry], [
      id,
      owner,
      ttlMs,
      ...this.feedArgs,
    ]);
    return leaseOf(id, reply);
  }

  async renewLease(id: string, token: number, ttlMs: number): Promise<Lease> {
    const keys = await this.leaseKeys(id);
    const reply = await this.runWrite('renewLease', id, [keys.record, keys.leases, keys.leaseExpiry], [id, token, ttlMs]);
    return leaseOf(id, reply, token);
  }

  async releaseLease(id: string, token: number, expectedVersion?: number): Promise<void> {
    const keys = await this.leaseKeys(id);
    const reply = await this.runWrite('releaseLease', id, [keys.record, keys.index, keys.events, keys.notice, keys.leases, keys.leaseExpiry], [
      id,
      token,
      ...this.feedArgs,
      expectedVersion ?? '',
    ]);
    if (Number(reply[0]) !== ScriptStatus.Applied) throw scriptRefusal(reply, id, expectedVersion, undefined, token);
  }

  /** A read-only script (lease-2.lua), so a held lease's liveness is decided by the server's clock, as the writes decide it. */
  async getLease(id: string): Promise<LeaseView | null> {
    await this.ensureFormat(false);
    const keys = this.keys.forWorkflow(id);
    return leaseViewOf(id, (await this.run('lease', [keys.record, keys.leases], [id], 'get lease', false)) as unknown[]);
  }

  private async leaseKeys(id: string): Promise<WorkflowKeys> {
    if (this.formatLevel !== 'recorded') await this.ensureFormat();
    return this.keys.forWorkflow(id);
  }

  /** The root's count of connection losses (views share its connection). */
  private get epoch(): number {
    return (this.view?.root ?? this).connectionEpoch;
  }

  /**
   * Checks the tenant's format once: before its first read (without writing anything) and before its first write
   * (recording the format if the tenant has none). The root checked at boot. A failed check (Redis down, a
   * mismatch) is not remembered: the next call checks again.
   */
  private ensureFormat(forWrite = true): Promise<void> {
    if (this.options.formatCheck === 'off' || this.formatLevel === 'recorded' || (!forWrite && this.formatLevel === 'readable')) {
      return Promise.resolve();
    }
    // One check in flight per kind: a burst of first writes to a new tenant must not send a check each.
    const kind = forWrite ? 'write' : 'read';
    let pending = this.formatChecks[kind];
    if (!pending) {
      pending = this.checkFormat(forWrite).finally(() => (this.formatChecks[kind] = undefined));
      this.formatChecks[kind] = pending;
    }
    return pending;
  }

  private async checkFormat(forWrite: boolean): Promise<void> {
    const tenant = this.view?.tenant ?? DEFAULT_TENANT;
    const found = await this.read('format check', () => ensureTenantFormat(this.client, this.options.keyPrefix, tenant, this.shards, forWrite));
    if (found === 'recorded') this.formatLevel = 'recorded';
    else if (this.formatLevel === 'unchecked') this.formatLevel = 'readable';
  }

  private writeReply(
    reply: unknown[],
    id: string,
    stateJson: string,
    idempotency: Idempotency | undefined,
    expectedVersion?: number,
    leaseToken?: number,
  ): WriteReply {
    const status = Number(reply[0]);
    if (status === ScriptStatus.Replayed) return { kind: 'replayed', replay: replayFrom(id, reply) };
    if (status !== ScriptStatus.Applied) throw scriptRefusal(reply, id, expectedVersion, idempotency?.key, leaseToken);
    // The state goes back as the JSON just written; the core parses it only if its caller wants an object.
    return { kind: 'applied-json', workflow: workflowFromWriteReply(id, reply), stateJson, stamp: stampOfWriteReply(reply) };
  }

  private async run(name: ScriptName, keys: string[], args: (string | number | Buffer)[], operation: string, isWrite: boolean, bytes = false): Promise<unknown> {
    this.assertReady(operation);
    // Scripts share a tick's socket write too: with 64 writes in flight, one write(2) each was the store's largest client cost.
    this.cork.hold();
    try {
      return await runScript(this.client, name, keys, args, bytes);
    } catch (error) {
      throw mapRedisError(error, operation, isWrite);
    }
  }

  private async read<T>(operation: string, command: () => Promise<T>): Promise<T> {
    this.assertReady(operation);
    this.cork.hold();
    try {
      return await command();
    } catch (error) {
      throw mapRedisError(error, operation, false);
    }
  }

  /** Nothing is sent unless the connection is ready, so a refusal here is certain to have changed nothing. */
  private assertReady(operation: string): void {
    if (this.client.status !== 'ready') {
      throw new StoreUnavailableError(`${operation}: Redis connection is ${this.client.status}; nothing was sent`);
    }
  }

  /** Logs each loss and recovery of the connection once, with the real cause. */
  private watchConnection(): void {
    this.client.on('error', (error: Error) => {
      if (this.wasReady) this.logger.error(`Redis connection error: ${error.message}`);
      if (this.wasReady) this.lost = true;
      this.wasReady = false;
    });
    this.client.on('close', () => {
      this.connectionEpoch += 1;
      if (this.wasReady && !this.closing) this.logger.warn('Redis connection lost; reconnecting');
      if (this.wasReady) this.lost = true;
      this.wasReady = false;
    });
    this.client.on('ready', () => {
      if (this.lost) this.logger.log('Redis connection ready again');
      this.lost = false;
      this.wasReady = true;
    });
  }

}

/** save-12's ARGV[6]: '' (unconditional), the version, or the version with the write that made it. */
function expectedArg(expectedVersion: number | undefined, write: RecordWrite): string | number {
  if (expectedVersion === undefined) return '';
  const stamp = write.expectedStamp;
  return stamp ? `${expectedVersion}|${stamp.createdMs}|${stamp.updatedMs}` : expectedVersion;
}
