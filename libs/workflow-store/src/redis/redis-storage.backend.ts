import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import { WorkflowStoreError } from '../errors/workflow-store.error.js';
import type { LimitsOptions, RedisOptions } from '../config/workflow-store.options.js';
import { filterOf, indexKey, rangeOf, type ListRange } from '../shared/list-order.js';
import type { ListSlice, NewRecord, RecordWrite, StorageBackend, WriteReply } from '../shared/storage-backend.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { DEFAULT_STATUS, DEFAULT_TYPE } from '../workflow.schema.js';
import type { JsonObject, RestoreOutcome, Workflow } from '../workflow.types.js';
import { connectWhenReady, createStoreClient } from './redis-client.factory.js';
import { isCluster, nodeOwning, type StoreRedisClient } from './redis-client.types.js';
import { storedWorkflowFromRecord, storedWorkflowFromRecordBytes, workflowFromRecord, workflowFromWriteReply } from './redis-codec.js';
import type { StoredWorkflowBytes, StoredWorkflowJson } from '../workflow-json.js';
import { mapRedisError, scriptRefusal, ScriptStatus, unconfirmedWrite } from './redis-errors.js';
import { RedisKeys, SHARD_COUNT, type WorkflowKeys } from './redis-keys.js';
import { defineScripts, runScript, type ScriptName } from './redis-scripts.js';
import { checkRedisServer } from './persistence-check.js';

/** Operation ids remembered per workflow. */
const MAX_OPERATIONS = 32;
/** Expired index entries each write sweeps from its shard, on top of the periodic sweep. */
const PURGE_PER_WRITE = 16;
const PURGE_PER_SWEEP = 1000;
/** Upper bound of the lexicographic index: every byte of a key is ASCII, so U+00FF (UTF-8 C3 BF) sorts after all. */
const LEX_MAX = '\u00ff';

/**
 * Redis backend: every write is one atomic Lua script (lua/*.lua), reads are plain commands. The client fails
 * fast instead of queueing (see redis-client.factory.ts), and every failure is mapped to a typed error in
 * redis-errors.ts.
 */
export class RedisStorageBackend implements StorageBackend {
  readonly client: StoreRedisClient;
  readonly keys: RedisKeys;
  private sweepTimer: NodeJS.Timeout | undefined;
  private wasReady = false;
  /** Set once the connection was lost after boot, so "ready again" is only said after a real outage. */
  private lost = false;
  private closing = false;
  /** Counts connection losses (root only), so a WAIT can tell it is on the connection its write went on. */
  private connectionEpoch = 0;
  /** Tenant views by tenant; they share this backend's connection and are swept with it. */
  private readonly views = new Map<string, RedisStorageBackend>();

  /** `view`: a tenant view of `view.root`, whose keys carry the tenant after the prefix. */
  constructor(
    private readonly options: RedisOptions,
    private readonly limits: LimitsOptions,
    private readonly logger: StoreLogger,
    private readonly view?: { root: RedisStorageBackend; tenant: string },
  ) {
    if (view) {
      this.client = view.root.client;
      this.keys = new RedisKeys(`${options.keyPrefix}:${view.tenant}`);
      return;
    }
    this.client = createStoreClient(options);
    this.keys = new RedisKeys(options.keyPrefix);
    defineScripts(this.client);
    this.watchConnection();
  }

  /** Keys `<prefix>:<tenant>:{shard}:…`: a tenant's records and indexes never meet another's. */
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
    } catch (error) {
      this.client.disconnect();
      throw error instanceof WorkflowStoreError ? error : mapRedisError(error, 'boot check', false);
    }
    this.wasReady = true;
    if (this.options.purgeIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweepQuietly(), this.options.purgeIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async create(record: NewRecord, operationId: string | undefined): Promise<WriteReply> {
    const reply = await this.write('create', record.id, [
      record.id,
      record.type,
      record.status,
      record.stateJson,
      record.ttlSeconds,
      operationId ?? '',
      MAX_OPERATIONS,
      PURGE_PER_WRITE,
    ]);
    return this.writeReply(reply, record.id, record.stateJson);
  }

  async save(write: RecordWrite, expectedVersion: number | undefined, operationId: string | undefined): Promise<WriteReply> {
    const reply = await this.write('save', write.id, [
      write.id,
      write.type ?? '',
      write.status ?? '',
      write.stateJson,
      write.ttlSeconds ?? '',
      expectedVersion ?? '',
      operationId ?? '',
      MAX_OPERATIONS,
      PURGE_PER_WRITE,
      DEFAULT_TYPE,
      DEFAULT_STATUS,
      this.limits.defaultTtlSeconds,
    ]);
    return this.writeReply(reply, write.id, write.stateJson, expectedVersion);
  }

  async get(id: string): Promise<Workflow | null> {
    return workflowFromRecord(id, await this.readRecord(id));
  }

  async getJson(id: string): Promise<StoredWorkflowJson | null> {
    return storedWorkflowFromRecord(id, await this.readRecord(id));
  }

  async getJsonBytes(id: string): Promise<StoredWorkflowBytes | null> {
    return storedWorkflowFromRecordBytes(id, await this.readRecord(id, true));
  }

  /** A record is one string: one GET, one bulk reply, as a string or as the bytes. No wrapper function on this hot path. */
  private readRecord(id: string): Promise<string | null>;
  private readRecord(id: string, bytes: true): Promise<Buffer | null>;
  private readRecord(id: string, bytes = false): Promise<string | Buffer | null> {
    this.assertReady('get');
    const key = this.keys.record(id);
    return (bytes ? this.client.getBuffer(key) : this.client.get(key)).catch((error: unknown) => {
      throw mapRedisError(error, 'get', false);
    });
  }

  async getForWrite(id: string, operationId: string | undefined): Promise<{ workflow: Workflow | null; replayed: boolean }> {
    const keys = this.keys.forWorkflow(id);
    const [record, log] = await this.read('read for write', () =>
      Promise.all([this.client.get(keys.record), operationId ? this.client.get(keys.operations) : Promise.resolve(null)]),
    );
    const replayed = log !== null && log.includes(`|${operationId ?? ''}=`);
    // REDIS_DURABILITY=replica: a replay is a success only once a replica has the write it replays.
    if (replayed && this.options.durability === 'replica') await this.confirmReplay(id, 'replay');
    return { workflow: workflowFromRecord(id, record), replayed };
  }

  async delete(id: string, expectedVersion: number | undefined, operationId: string | undefined): Promise<'deleted' | 'replayed'> {
    const reply = await this.write('delete', id, [id, expectedVersion ?? '', operationId ?? '', MAX_OPERATIONS, PURGE_PER_WRITE]);
    const status = Number(reply[0]);
    if (status === ScriptStatus.Applied) return 'deleted';
    if (status === ScriptStatus.Replayed) return 'replayed';
    throw scriptRefusal(reply, id, expectedVersion);
  }

  async touch(id: string, ttlSeconds: number | undefined, operationId: string | undefined): Promise<WriteReply> {
    const reply = await this.write('touch', id, [id, ttlSeconds ?? '', operationId ?? '', MAX_OPERATIONS, PURGE_PER_WRITE]);
    const status = Number(reply[0]);
    if (status === ScriptStatus.Replayed) return { kind: 'replayed' };
    if (status !== ScriptStatus.Applied) throw scriptRefusal(reply, id);
    const stored = storedWorkflowFromRecord(id, reply[1] === undefined ? null : String(reply[1]));
    if (!stored) throw new WorkflowStoreError('internal', `touch of ${id} returned no record`);
    return { kind: 'applied-json', ...stored };
  }

  /**
   * Reads the next `limit` index keys after the cursor from every shard (one command each, sent together), keeps
   * the smallest `limit` overall, then fetches those records. Cost: SHARD_COUNT × limit index entries plus `limit`
   * records, whatever the number of stored workflows.
   */
  async listSlice(range: ListRange, limit: number): Promise<ListSlice> {
    const min = range.after === undefined ? `[${range.prefix}` : `(${range.after}`;
    const max = `[${range.prefix}${LEX_MAX}`;
    const perShard = await this.read('list', () =>
      Promise.all(
        Array.from({ length: SHARD_COUNT }, (_, shard) =>
          this.client.zrangebylex(this.keys.shardIndexes(shard).index, min, max, 'LIMIT', 0, limit + 1),
        ),
      ),
    );
    const candidates = perShard.flat().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const page = candidates.slice(0, limit);
    const ids = page.map((key) => key.slice(key.lastIndexOf('\u0000') + 1));
    const records = await this.read('list', () => Promise.all(ids.map((id) => this.client.get(this.keys.record(id)))));
    const { kind } = rangeOf(filterOf(range.prefix));
    const items: Workflow[] = [];
    records.forEach((record, i) => {
      const workflow = workflowFromRecord(ids[i] as string, record);
      // Skips expired records, and records whose labels changed after the index was read (they are listed under their new key).
      if (workflow && indexKey(kind, workflow) === page[i]) items.push(workflow);
    });
    return { items, lastKey: page.at(-1) ?? null, more: candidates.length > limit };
  }

  async restore(record: Workflow, stateJson: string): Promise<RestoreOutcome> {
    const reply = await this.write('restore', record.id, [
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
    ]);
    const status = Number(reply[0]);
    if (status === ScriptStatus.Applied) return 'written';
    if (status === ScriptStatus.Expired) return 'skipped-expired';
    if (status === ScriptStatus.StoredIsNewer) return Number(reply[1]) === record.version ? 'skipped-same' : 'skipped-newer';
    throw scriptRefusal(reply, record.id);
  }

  /** Counts expiry-index entries still in the future: one per live workflow, swept or not. */
  async count(): Promise<number> {
    const now = Date.now();
    const perShard = await this.read('count', () =>
      Promise.all(Array.from({ length: SHARD_COUNT }, (_, shard) => this.client.zcount(this.keys.shardIndexes(shard).expiry, `(${now}`, '+inf'))),
    );
    return perShard.reduce((sum, n) => sum + n, 0);
  }

  /** Sweeps index entries of expired workflows in every shard; returns how many were removed. */
  async purgeExpired(): Promise<number> {
    let removed = 0;
    for (let shard = 0; shard < SHARD_COUNT; shard++) {
      const keys = this.keys.shardIndexes(shard);
      const reply = await this.run('purgeExpired', [keys.index, keys.expiry, keys.labels], [PURGE_PER_SWEEP], 'purge', true);
      removed += Number(reply);
    }
    return removed;
  }

  async ping(): Promise<void> {
    await this.read('ping', () => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.view) return; // the connection is the root's
    if (this.sweepTimer) clearInterval(this.sweepTimer);
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

  private async write(name: ScriptName, id: string, args: (string | number)[]): Promise<unknown[]> {
    const keys: WorkflowKeys = this.keys.forWorkflow(id);
    const scriptKeys = [keys.record, keys.operations, keys.index, keys.expiry, keys.labels];
    if (this.options.durability === 'replica') return this.writeConfirmed(name, id, scriptKeys, args);
    const reply = await this.run(name, scriptKeys, args, name, true);
    return reply as unknown[];
  }

  /**
   * REDIS_DURABILITY=replica: the script, then `WAIT 1 <timeout>` on the connection the script ran on (WAIT counts
   * the replicas that have every write made on its own connection; on a fresh connection it would confirm nothing
   * it had seen). WAIT is sent only after the script's reply: sending both at once is wrong, because after a
   * failover the new master answers EVALSHA with NOSCRIPT and ioredis sends the EVAL behind the WAIT. A replay is
   * confirmed too (confirmReplay): the planned-failover test lost "confirmed" writes until both were fixed. If the
   * connection changed in between — a reconnect, or on a Cluster another node connection for the slot — the write
   * is not confirmed. A write applied but not confirmed is `OutcomeUnknownError`, never a success; a refusal
   * (conflict, not found) is reported as such.
   */
  private async writeConfirmed(name: ScriptName, id: string, keys: string[], args: (string | number)[]): Promise<unknown[]> {
    this.assertReady(name);
    const client = this.client;
    const epoch = this.epoch;
    const nodeBefore = isCluster(client) ? nodeOwning(client, keys[0] as string) : undefined;
    let reply: unknown[];
    try {
      reply = (await runScript(client, name, keys, args)) as unknown[];
    } catch (error) {
      throw mapRedisError(error, name, true);
    }
    const status = Number(reply[0]);
    if (status === ScriptStatus.Applied) await this.waitForReplica(id, name, keys[0] as string, epoch, nodeBefore);
    if (status === ScriptStatus.Replayed) await this.confirmReplay(id, name);
    return reply;
  }

  /**
   * A replay wrote nothing now, and the write it replays may have gone on another connection or not be replicated
   * yet: a write of the shard's scratch key on this connection first makes WAIT cover everything up to now.
   */
  private async confirmReplay(id: string, operation: string): Promise<void> {
    const key = this.keys.replicaAck(id);
    const epoch = this.epoch;
    const nodeBefore = isCluster(this.client) ? nodeOwning(this.client, key) : undefined;
    try {
      await this.client.set(key, '1', 'PX', 60_000);
    } catch (error) {
      throw mapRedisError(error, operation, true);
    }
    await this.waitForReplica(id, operation, key, epoch, nodeBefore);
  }

  /** WAIT 1 on the connection that just wrote `key`, which must not have changed since `epoch` / `nodeBefore`. */
  private async waitForReplica(id: string, operation: string, key: string, epoch: number, nodeBefore: Redis | undefined): Promise<void> {
    const timeoutMs = this.options.replicaAckTimeoutMs ?? 250;
    const client = this.client;
    let replicas: number;
    try {
      if (isCluster(client)) {
        const node = nodeOwning(client, key);
        if (!node || node !== nodeBefore || node.status !== 'ready') throw new Error("the connection to the slot's node changed");
        replicas = Number(await node.call('WAIT', 1, timeoutMs));
      } else {
        if (this.epoch !== epoch || client.status !== 'ready') throw new Error('the connection was re-established');
        replicas = Number(await client.call('WAIT', 1, timeoutMs));
      }
    } catch (error) {
      throw unconfirmedWrite(operation, id, timeoutMs, error);
    }
    if (!(replicas >= 1)) throw unconfirmedWrite(operation, id, timeoutMs, replicas);
  }

  /** The root's count of connection losses (views share its connection). */
  private get epoch(): number {
    return (this.view?.root ?? this).connectionEpoch;
  }

  private writeReply(reply: unknown[], id: string, stateJson: string, expectedVersion?: number): WriteReply {
    const status = Number(reply[0]);
    if (status === ScriptStatus.Replayed) return { kind: 'replayed' };
    if (status !== ScriptStatus.Applied) throw scriptRefusal(reply, id, expectedVersion);
    // The state goes back as the JSON just written; the core parses it only if its caller wants an object.
    return { kind: 'applied-json', workflow: workflowFromWriteReply(id, reply), stateJson };
  }

  private async run(name: ScriptName, keys: string[], args: (string | number)[], operation: string, isWrite: boolean): Promise<unknown> {
    this.assertReady(operation);
    try {
      return await runScript(this.client, name, keys, args);
    } catch (error) {
      throw mapRedisError(error, operation, isWrite);
    }
  }

  private async read<T>(operation: string, command: () => Promise<T>): Promise<T> {
    this.assertReady(operation);
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

  private async sweepQuietly(): Promise<void> {
    try {
      await this.purgeExpired();
      for (const view of this.views.values()) await view.purgeExpired();
    } catch (error) {
      this.logger.warn(`sweep of expired index entries skipped: ${(error as Error).message}`);
    }
  }
}
