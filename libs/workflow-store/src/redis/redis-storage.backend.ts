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
import { DEFAULT_TENANT } from '../workflow.schema.js';
import type { Lease, LeaseView, RestoreOutcome, Workflow } from '../workflow.types.js';
import { connectWhenReady } from './redis-client.factory.js';
import type { StoreRedisClient } from './redis-client.types.js';
import {
  createdMsOfRecord,
  stampedWorkflowFromRecord,
  stampOfWriteReply,
  storedWorkflowFromRecord,
  storedWorkflowFromRecordBytes,
  workflowFromRecord,
  workflowFromWriteReply,
} from './redis-codec.js';
import type { StoredWorkflowBytes, StoredWorkflowJson } from '../workflow-json.js';
import { mapRedisError, scriptRefusal, ScriptStatus } from './redis-errors.js';
import { RedisKeys, type WorkflowKeys } from './redis-keys.js';
import { leaseOf, leaseViewOf } from './redis-leases.js';
import { walkShards } from './redis-list-walk.js';
import type { ScriptName } from './redis-scripts.js';
import { checkRedisServer } from './persistence-check.js';
import { checkStorageFormat, readFormatRecords } from './storage-format.js';
import { keptVersionsOf, versionReadOf } from './redis-history.js';
import { ReplicaConfirmation } from './replica-confirmation.js';
import { replayFrom, replayOfRecord } from './redis-replay.js';
import { TenantSweep } from './tenant-sweep.js';
import { RedisConnection } from './redis-connection.js';
import { expireLeasesKeys, leaseWriteKeys, purgeKeys, ScriptArgs, writeScriptKeys } from './redis-script-args.js';
import { TenantFormatGate } from './tenant-format-gate.js';
import { NoticeHub } from './feed/notice-hub.js';
import { TenantFeed } from './feed/tenant-feed.js';
import type { EventPosition } from '../events/event-id.js';
import type { WatchFilter, WatchMessage, WorkflowEvent } from '../events/workflow-event.js';
import type { CheckpointStorage } from '../checkpoints/checkpoint-storage.js';
import { RedisCheckpoints } from './redis-checkpoints.js';

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
  /** The root's connection, shared by its views. */
  private readonly connection: RedisConnection;
  /** Tenant views by tenant; they share this backend's connection. */
  private readonly views = new Map<string, RedisStorageBackend>();
  /** Whether this tenant's storage format fits (checked at its first read and first write). */
  private readonly format: TenantFormatGate;
  private readonly args: ScriptArgs;
  /** This tenant's change feed in this process. */
  private readonly feed: TenantFeed;
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
    const tenant = view?.tenant ?? DEFAULT_TENANT;
    this.keys = new RedisKeys(options.keyPrefix, tenant, options.shards);
    this.args = new ScriptArgs(options, limits);
    this.connection = view ? view.root.connection : new RedisConnection(options, logger);
    this.client = this.connection.client;
    this.feed = new TenantFeed({
      connection: this.connection,
      keys: this.keys,
      tenant,
      limits,
      logger,
      notices: () => {
        const root = view?.root ?? this;
        return (root.noticeHub ??= new NoticeHub(root.client, options, logger));
      },
    });
    this.format = new TenantFormatGate(this.connection, { prefix: options.keyPrefix, tenant, shards: options.shards, off: options.formatCheck === 'off' });
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
      epoch: () => this.connection.epoch,
      keys: this.keys,
      timeoutMs: options.replicaAckTimeoutMs ?? 250,
      assertReady: (operation) => this.connection.assertReady(operation),
    });
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
      if (this.options.formatCheck !== 'off') this.format.booted(await checkStorageFormat(this.client, this.options.keyPrefix, this.shards));
    } catch (error) {
      this.client.disconnect();
      throw error instanceof WorkflowStoreError ? error : mapRedisError(error, 'boot check', false);
    }
    this.connection.markReady();
    this.purgeSweep.start(this.options.purgeIntervalMs);
    this.leaseSweep.start(this.limits.leaseSweepIntervalMs);
  }

  async create(record: NewRecord, idempotency: Idempotency | undefined): Promise<WriteReply> {
    const reply = await this.write('create', record.id, idempotency, this.args.create(record, idempotency));
    return this.writeReply(reply, record.id, record.stateJson, idempotency);
  }

  async save(write: RecordWrite, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Promise<WriteReply> {
    const reply = await this.write('save', write.id, idempotency, this.args.save(write, expectedVersion, idempotency, leaseToken));
    return this.writeReply(reply, write.id, write.stateJson, idempotency, expectedVersion, leaseToken);
  }

  /**
   * A save of a thread's workflow that also stores a checkpoint or pending writes (`extra`: save-12's ARGV[18] on),
   * in the same script. Throws the typed refusal (LeaseHeld, LeaseLost).
   */
  async saveThread(write: RecordWrite, newType: string, leaseToken: number | undefined, extra: (string | number | Buffer)[]): Promise<void> {
    const reply = await this.write('save', write.id, undefined, [...this.args.save(write, undefined, undefined, leaseToken, newType), ...extra]);
    if (Number(reply[0]) !== ScriptStatus.Applied) throw scriptRefusal(reply, write.id, undefined, undefined, leaseToken);
  }

  /** A script on a thread's own keys (checkpoint writes, reads), with the typed errors; replies keep their bytes. */
  async runThreadScript(name: ScriptName, thread: string, keys: string[], args: (string | number | Buffer)[], isWrite: boolean): Promise<unknown[]> {
    if (isWrite) {
      if (this.format.level !== 'recorded') await this.format.ensure();
      return this.runWrite(name, thread, keys, args);
    }
    if (this.format.level === 'unchecked') await this.format.ensure(false);
    return (await this.connection.run(name, keys, args, name, false, true)) as unknown[];
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
    if (this.format.readUnchecked) {
      return this.format.ensure(false).then((): Promise<string | Buffer | null> => (bytes ? this.readRecord(id, true) : this.readRecord(id)));
    }
    const key = this.keys.record(id);
    return (bytes ? this.connection.getBuffer(key) : this.connection.get(key)).catch((error: unknown) => {
      throw mapRedisError(error, 'get', false);
    });
  }

  async getForWrite(id: string, idempotency: Idempotency | undefined): Promise<{ workflow: Workflow | null; replay?: StoredReplay }> {
    if (this.format.level !== 'recorded') await this.format.ensure();
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
    const reply = await this.write('delete', id, idempotency, this.args.delete(id, expectedVersion, idempotency, leaseToken));
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
    const reply = await this.write('touch', id, idempotency, this.args.touch(id, ttlSeconds, idempotency, leaseToken, expectedVersion));
    const status = Number(reply[0]);
    if (status === ScriptStatus.Replayed) return { kind: 'replayed', replay: replayFrom(id, reply) };
    if (status !== ScriptStatus.Applied) throw scriptRefusal(reply, id, expectedVersion, idempotency?.key, leaseToken);
    const stored = storedWorkflowFromRecord(id, reply[1] === undefined ? null : String(reply[1]));
    if (!stored) throw new WorkflowStoreError('internal', `touch of ${id} returned no record`);
    return { kind: 'applied-json', ...stored };
  }

  /** Walks the shards in order from the range's position (see redis-list-walk.ts). */
  async listSlice(range: ListRange, limit: number): Promise<ListSlice> {
    await this.format.ensure(false);
    return walkShards(this.client, this.keys, range, limit, (operation, command) => this.read(operation, command));
  }

  async restore(record: Workflow, stateJson: string, history: readonly KeptRecord[] = []): Promise<RestoreOutcome> {
    const reply = await this.write('restore', record.id, undefined, this.args.restore(record, stateJson, history));
    const status = Number(reply[0]);
    if (status === ScriptStatus.Applied) return 'written';
    if (status === ScriptStatus.Expired) return 'skipped-expired';
    if (status === ScriptStatus.StoredIsNewer) return Number(reply[1]) === record.version ? 'skipped-same' : 'skipped-newer';
    throw scriptRefusal(reply, record.id);
  }

  async listVersions(id: string): Promise<KeptVersions | null> {
    await this.format.ensure(false);
    const keys = this.keys.forWorkflow(id);
    return keptVersionsOf(id, (await this.connection.run('history', [keys.record, keys.history], [''], 'history', false)) as unknown[]);
  }

  async readVersion(id: string, version: number): Promise<VersionRead | null> {
    await this.format.ensure(false);
    const keys = this.keys.forWorkflow(id);
    return versionReadOf(id, (await this.connection.run('history', [keys.record, keys.history], [version], 'get version', false)) as unknown[]);
  }

  /** See feed/tenant-feed.ts. */
  async events(id: string, limit: number): Promise<WorkflowEvent[]> {
    this.feed.assertEnabled();
    await this.format.ensure(false);
    return this.feed.events(id, limit);
  }

  async watch(filter: WatchFilter, after: EventPosition | undefined, signal: AbortSignal | undefined): Promise<AsyncIterableIterator<WatchMessage>> {
    this.feed.assertEnabled();
    await this.format.ensure(false);
    return this.feed.watch(filter, after, signal);
  }

  /** Counts expiry-index entries still in the future by Redis' clock (TIME): one per live workflow, swept or not. */
  async count(): Promise<number> {
    await this.format.ensure(false);
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
    return Number(await this.connection.run('purgeExpired', purgeKeys(keys), this.args.sweep(), 'purge', true));
  }

  /** One tick of the periodic sweep of expired index entries over every tenant (see tenant-sweep.ts). */
  sweepTick(): Promise<number> {
    return this.purgeSweep.tick();
  }

  /** Marks the expired leases of one shard of this tenant (see expire-leases-7.lua); returns how many. */
  async expireLeases(shard: number): Promise<number> {
    const keys = this.keys.shard(shard);
    return Number(await this.connection.run('expireLeases', expireLeasesKeys(keys), this.args.sweep(), 'lease sweep', true));
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
    for (const backend of [this, ...this.views.values()]) backend.feed.close();
    this.noticeHub?.close();
    await this.connection.close();
  }

  private async write(name: ScriptName, id: string, idempotency: Idempotency | undefined, args: (string | number | Buffer)[]): Promise<unknown[]> {
    if (this.format.level !== 'recorded') await this.format.ensure();
    return this.runWrite(name, id, writeScriptKeys(this.keys.forWorkflow(id, idempotency?.key)), args);
  }

  /** A write script on keys of one workflow's shard; with REDIS_DURABILITY=replica confirmed by a replica. */
  private async runWrite(name: ScriptName, id: string, keys: string[], args: (string | number | Buffer)[]): Promise<unknown[]> {
    if (this.options.durability === 'replica') return this.replicaAck.writeConfirmed(name, id, keys, args);
    return (await this.connection.run(name, keys, args, name, true)) as unknown[];
  }

  async acquireLease(id: string, owner: string, ttlMs: number): Promise<Lease> {
    const keys = await this.leaseKeys(id);
    const reply = await this.runWrite('acquireLease', id, leaseWriteKeys(keys), this.args.acquireLease(id, owner, ttlMs));
    return leaseOf(id, reply);
  }

  async renewLease(id: string, token: number, ttlMs: number): Promise<Lease> {
    const keys = await this.leaseKeys(id);
    const reply = await this.runWrite('renewLease', id, [keys.record, keys.leases, keys.leaseExpiry], [id, token, ttlMs]);
    return leaseOf(id, reply, token);
  }

  async releaseLease(id: string, token: number, expectedVersion?: number): Promise<void> {
    const keys = await this.leaseKeys(id);
    const reply = await this.runWrite('releaseLease', id, leaseWriteKeys(keys), this.args.releaseLease(id, token, expectedVersion));
    if (Number(reply[0]) !== ScriptStatus.Applied) throw scriptRefusal(reply, id, expectedVersion, undefined, token);
  }

  /** A read-only script (lease-2.lua), so a held lease's liveness is decided by the server's clock, as the writes decide it. */
  async getLease(id: string): Promise<LeaseView | null> {
    await this.format.ensure(false);
    const keys = this.keys.forWorkflow(id);
    return leaseViewOf(id, (await this.connection.run('lease', [keys.record, keys.leases], [id], 'get lease', false)) as unknown[]);
  }

  private async leaseKeys(id: string): Promise<WorkflowKeys> {
    if (this.format.level !== 'recorded') await this.format.ensure();
    return this.keys.forWorkflow(id);
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

  private read<T>(operation: string, command: () => Promise<T>): Promise<T> {
    return this.connection.read(operation, command);
  }
}
