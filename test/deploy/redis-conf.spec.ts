/**
 * The repository's redis.conf: it says what production needs (AOF everysec + RDB, noeviction, protected mode,
 * default user off, a least-privilege service user on the store's prefix), it loads in the Debian redis-server
 * used by the tests, and the whole store works as its service user, while everything else is refused.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { RunnableConfig } from '@langchain/core/runnables';
import { emptyCheckpoint, INTERRUPT, uuid6, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { createWorkflowStore, loadWorkflowStoreConfig, WorkflowCheckpointSaver, type ValidatingWorkflowStore } from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { defaultShardOf, layoutOf } from '../support/redis-layout.js';
import { FeedRecorder } from '../fault/change-feed.js';
import { keysWithoutTtl } from '../support/key-ttl.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId } from '../support/random-ids.js';
import { PASSWORD_PLACEHOLDER, REPO_REDIS_CONF, SERVICE_USER, startProductionRedis, type ProductionRedis } from '../support/repo-redis-conf.js';

/** What the service user gained for the change feed, the history and leases (scripts, feed reader). */
const FEED_RULES = ['+xadd', '+xtrim', '+xrange', '+xrevrange', '+xinfo|stream', '+spublish', '+ssubscribe', '+sunsubscribe', '+hkeys', '+hlen', '+zscore'];
/** ... and for LangGraph checkpoints (the scripts of WorkflowCheckpointSaver). */
const CHECKPOINT_RULES = ['+hmget', '+hexists', '+hincrby', '+zlexcount'];

async function toList(tuples: AsyncGenerator<CheckpointTuple>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const tuple of tuples) out.push(tuple);
  return out;
}

/** Directives of a redis.conf: first word → the rest of each non-comment line (repeated directives kept in order). */
function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [name, ...rest] = line.split(/\s+/);
    map.set(name as string, [...(map.get(name as string) ?? []), rest.join(' ')]);
  }
  return map;
}

describe('redis.conf', () => {
  const text = readFileSync(REPO_REDIS_CONF, 'utf8');
  const conf = directives(text);

  it('asks for AOF everysec plus RDB snapshots, noeviction, protected mode, and documents the fsync trade-off', () => {
    expect(conf.get('appendonly')).toEqual(['yes']);
    expect(conf.get('appendfsync')).toEqual(['everysec']);
    expect(conf.get('save')?.[0]).toMatch(/^\d+ \d+/);
    expect(conf.get('maxmemory')?.[0]).toMatch(/^\d+[kmg]b$/);
    expect(conf.get('maxmemory-policy')).toEqual(['noeviction']);
    expect(conf.get('protected-mode')).toEqual(['yes']);
    expect(conf.get('enable-debug-command')).toEqual(['no']);
    expect(text).toMatch(/kill -9/);
    expect(text).toMatch(/power loss/);
    expect(text).toMatch(/about 3x/);
  });

  it('turns the default user off and restricts the service user to the store prefix, with a placeholder password', () => {
    const users = conf.get('user') ?? [];
    expect(users.filter((u) => u.startsWith('default '))).toEqual(['default off ~* &* +@all']);
    const service = users.find((u) => u.startsWith(`${SERVICE_USER} `)) ?? '';
    expect(service.split(' ')).toEqual(expect.arrayContaining(['on', '~wfs:*', 'resetchannels', '-@all', '+evalsha', '+eval', '+info']));
    // The change feed: its shard streams and shard channels, nothing wider (no other channel, no classic pub/sub).
    expect(service.split(' ')).toEqual(expect.arrayContaining(['&wfs:*', ...FEED_RULES, ...CHECKPOINT_RULES]));
    expect(service.indexOf('resetchannels')).toBeLessThan(service.indexOf('&wfs:*'));
    expect(service).toMatch(PASSWORD_PLACEHOLDER);
    expect(service).not.toMatch(/ >/); // no clear-text password
    expect(service).not.toMatch(/~\*|allkeys|&\*|allchannels|\+@all|allcommands|\+@pubsub|\+publish|\+subscribe|\+psubscribe|\+xinfo(?!\|stream)/);
  });
});

describe('redis.conf loaded by redis-server, the store running as its service user', () => {
  let redis: ProductionRedis;
  let admin: Redis;
  const adm = (): Redis => admin;
  const stores: ValidatingWorkflowStore[] = [];

  const storeAsService = async (env: Record<string, string> = {}): Promise<ValidatingWorkflowStore> => {
    const store = createWorkflowStore(
      loadWorkflowStoreConfig({
        USE_REDIS: 'true',
        REDIS_URL: redis.server.url,
        REDIS_USERNAME: SERVICE_USER,
        REDIS_PASSWORD: redis.password,
        REDIS_PERSISTENCE_CHECK: 'strict', // passes only if the conf really has AOF on and noeviction
        REDIS_PURGE_INTERVAL_MS: '0',
        ...env,
      }),
      quietLogger(),
    );
    stores.push(store);
    await store.connect();
    return store;
  };

  beforeAll(async () => {
    redis = await startProductionRedis();
    admin = new Redis({ port: redis.server.port, host: '127.0.0.1', username: redis.admin.username, password: redis.admin.password, lazyConnect: true });
    await admin.connect();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    admin?.disconnect();
    await redis?.server.stop();
  });

  it('loads with the settings it declares', async () => {
    const info = await admin.info();
    expect(info).toMatch(/^aof_enabled:1\r?$/m);
    expect(info).toMatch(/^maxmemory_policy:noeviction\r?$/m);
    expect(info).toMatch(/^maxmemory:536870912\r?$/m);
    expect(await admin.call('CONFIG', 'GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
    expect(await admin.call('CONFIG', 'GET', 'protected-mode')).toEqual(['protected-mode', 'yes']);
  });

  it('runs every store operation as the service user (scripts, reads, sweep, SELECT, EVAL after a restart)', async () => {
    const store = await storeAsService();
    const backend = store.backend as RedisStorageBackend;
    const type = randomId('acl');
    const a = await store.create({ id: randomId('a'), type, state: { n: 1 } }, { operationId: 'op-create' });
    expect((await store.create({ id: a.id, type, state: { n: 1 } }, { operationId: 'op-create' })).version).toBe(1);
    expect(await store.get(a.id)).toEqual(a);
    await store.save(a.id, { status: 'review', state: { n: 2 } }, { expectedVersion: 1 });
    await store.update(a.id, { state: { m: 3 } }, { operationId: 'op-update' });
    await store.mutate(a.id, (current) => ({ state: { ...current.state, mutated: true } }));
    expect((await store.touch(a.id, { ttlSeconds: 600 })).version).toBe(4);
    const b = await store.save(randomId('b'), { type, state: {} });
    expect((await store.list({ type })).items.map((w) => w.id).sort()).toEqual([a.id, b.id].sort());
    expect((await store.list({ type, status: 'review' })).items.map((w) => w.id)).toEqual([a.id]);
    expect(await store.count()).toBeGreaterThanOrEqual(2);
    await store.delete(b.id, { operationId: 'op-delete' });
    const now = Date.now();
    const restored = { id: randomId('r'), type, status: 'restored', state: { r: 1 }, version: 5, createdAt: new Date(now - 1000).toISOString(), updatedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), ttlSeconds: 60 };
    expect(await store.restore(restored)).toBe('written');
    // In a's shard, so the shard's index keys outlive it (alone, they would expire with it and leave nothing to sweep).
    let shortId = randomId('short');
    while (defaultShardOf(shortId) !== defaultShardOf(a.id)) shortId = randomId('short');
    await store.create({ id: shortId, type, state: {}, ttlSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await backend.purgeExpired()).toBeGreaterThanOrEqual(1);
    await store.ping();

    // A restart empties the script cache: EVALSHA gets NOSCRIPT and ioredis falls back to EVAL. It also replays the
    // AOF, whose script effects are MULTI/EXEC blocks run as the default user: nothing may be lost (see redis.conf).
    await redis.server.restart();
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await store.ping();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect((await store.update(a.id, { state: { after: 'restart' } })).version).toBe(5);
    expect(readFileSync(redis.server.logPath, 'utf8')).not.toMatch(/CRITICAL/);

    const db1 = await storeAsService({ REDIS_DB: '1' });
    expect((await db1.create({ type, state: {} })).version).toBe(1);
    expect(await keysWithoutTtl(admin, 'wfs')).toEqual([]);
  });

  it('follows the change feed and reads history as the service user: a write is seen by a watch, also across a restart', async () => {
    const writer = await storeAsService({ WORKFLOW_HISTORY_VERSIONS: '5' });
    const watcher = await storeAsService(); // another connection pair (command + feed subscriber), as another replica would
    const type = randomId('feed');
    await adm().call('ACL', 'LOG', 'RESET');
    const recorder = new FeedRecorder(await watcher.watch({ type }));
    try {
      const a = await writer.create({ id: randomId('a'), type, state: { n: 1 } });
      await writer.save(a.id, { status: 'review', state: { n: 2 } }, { expectedVersion: 1 });
      await writer.update(a.id, { state: { m: 3 } });
      await writer.touch(a.id);
      const b = await writer.create({ id: randomId('b'), type, state: {} });
      await writer.delete(b.id);
      const now = Date.now();
      const r = { id: randomId('r'), type, status: 'restored', state: { r: 1 }, version: 5, createdAt: new Date(now - 1000).toISOString(), updatedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), ttlSeconds: 60 };
      expect(await writer.restore(r)).toBe('written');
      const expected = [
        ['created', a.id, 1], ['updated', a.id, 2], ['updated', a.id, 3], ['touched', a.id, 3],
        ['created', b.id, 1], ['deleted', b.id, 1], ['restored', r.id, 5],
      ];
      const summary = (events: readonly { op: string; id: string; version: number }[]): unknown[] => events.map((e) => [e.op, e.id, e.version]);
      await recorder.waitFor((rec) => rec.events.length >= expected.length, 10_000);
      expect(recorder.error).toBeUndefined();
      expect(summary(recorder.events)).toEqual(expected);

      // History as the service user (history-2.lua: GET, HKEYS, HGET).
      expect((await writer.history(a.id))?.versions.map((v) => v.version)).toEqual([3, 2, 1]);
      expect((await watcher.getVersion(a.id, 1))?.state).toEqual({ n: 1 });
      expect((await watcher.getVersion(a.id, 2))).toMatchObject({ status: 'review', state: { n: 2 } });

      // One workflow's events read back (XREVRANGE), a lease read (lease-2.lua: EXISTS, HGET, TIME) and a conditional
      // release, as the service user (a workflow of another type: the watch above does not see its lease events).
      expect((await watcher.events(a.id)).map((e) => e.op)).toEqual(['touched', 'updated', 'updated', 'created']);
      const leased = await writer.create({ id: randomId('l'), type: randomId('lease'), state: {} });
      const lease = await writer.acquireLease(leased.id, { owner: 'acl', ttlMs: 10_000 });
      expect(await watcher.getLease(leased.id)).toEqual({ ...lease, state: 'held' });
      await writer.releaseLease(leased.id, lease.token, { expectedVersion: 1 });
      expect((await watcher.getLease(leased.id))?.state).toBe('released');

      // A resume from the first event in a process that never saw it reads the shard streams (XINFO STREAM, XRANGE).
      const late = await storeAsService();
      const resumed = new FeedRecorder(await late.watch({ type }, { after: (recorder.events[0] as { eventId: string }).eventId }));
      try {
        await resumed.waitFor((rec) => rec.events.length >= expected.length - 1, 10_000);
        expect(resumed.error).toBeUndefined();
        expect(resumed.resets).toEqual([]);
        expect(summary(resumed.events)).toEqual(expected.slice(1));
      } finally {
        await resumed.close();
      }

      // After a restart the subscriber logs in and SSUBSCRIBEs again as the service user; the watch goes on by itself.
      await redis.server.restart();
      const deadline = Date.now() + 5000;
      let after: number | undefined;
      while (after === undefined) {
        try {
          after = (await writer.update(a.id, { state: { after: 'restart' } })).version;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      expect(await recorder.waitForEvent(a.id, after, 10_000, 'updated')).toBe(true);
      expect(summary(recorder.events.slice(expected.length))).toEqual([['updated', a.id, after]]);
      expect(recorder.resets).toEqual([]);
      // Nothing was refused meanwhile: not in a script, not on the subscriber connection.
      expect(await adm().call('ACL', 'LOG')).toEqual([]);
    } finally {
      await recorder.close();
    }
  }, 40_000);

  it('keeps LangGraph checkpoints as the service user: put (values shared, keepLast pruning), writes, interrupt, reads, deleteThread; every key with a TTL', async () => {
    const store = await storeAsService();
    const saver = new WorkflowCheckpointSaver(store, { keepLast: 2 });
    const thread = randomId('thread');
    let config: RunnableConfig = { configurable: { thread_id: thread, checkpoint_ns: '' } };
    for (let step = 0; step < 4; step++) {
      const checkpoint = { ...emptyCheckpoint(), id: uuid6(step), channel_values: { messages: [step], fixed: 'x' }, channel_versions: { messages: step + 1, fixed: 1 } };
      config = await saver.put(config, checkpoint, { source: 'loop', step, parents: {} }, step === 0 ? { messages: 1, fixed: 1 } : { messages: step + 1 });
      await saver.putWrites(config, [['messages', step]], `task-${step}`);
    }
    await saver.putWrites(config, [[INTERRUPT, { value: 'review' }]], 'task-review');
    const latest = await saver.getTuple({ configurable: { thread_id: thread } });
    expect(latest?.checkpoint.channel_values).toEqual({ messages: [3], fixed: 'x' }); // "fixed" stored by the first put only
    expect(latest?.pendingWrites?.map(([task]) => task).sort()).toEqual(['task-3', 'task-review']);
    expect((await store.get(thread))?.status).toBe('interrupted');
    expect((await toList(saver.list({ configurable: { thread_id: thread } }))).length).toBe(2);
    expect(await keysWithoutTtl(admin, 'wfs')).toEqual([]);
    await saver.deleteThread(thread);
    expect(await saver.getTuple({ configurable: { thread_id: thread } })).toBeUndefined();
    expect(await adm().call('ACL', 'LOG')).toEqual([]);
  });

  it('gives the service user its shard channels only: other channels and classic pub/sub are refused', async () => {
    const dryRun = async (...args: string[]): Promise<string> => String(await adm().call('ACL', 'DRYRUN', SERVICE_USER, ...args));
    const shardChannel = layoutOf('wfs').shard(0).notice;
    expect(await dryRun('SSUBSCRIBE', shardChannel)).toBe('OK');
    expect(await dryRun('SPUBLISH', shardChannel, '')).toBe('OK');
    expect(await dryRun('SUNSUBSCRIBE', shardChannel)).toBe('OK');
    expect(await dryRun('XINFO', 'STREAM', layoutOf('wfs').shard(0).events)).toBe('OK');
    for (const args of [['SSUBSCRIBE', 'other:n'], ['SPUBLISH', 'other:n', ''], ['SUBSCRIBE', shardChannel], ['PSUBSCRIBE', 'wfs:*'], ['PUBLISH', shardChannel, ''], ['XINFO', 'GROUPS', layoutOf('wfs').shard(0).events], ['XADD', 'other:x', '*', 'd', '1']]) {
      expect([args.join(' '), await dryRun(...args)]).toEqual([args.join(' '), expect.not.stringMatching(/^OK$/)]);
    }
    const service = new Redis({ port: redis.server.port, host: '127.0.0.1', username: SERVICE_USER, password: redis.password, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await service.connect();
      await expect(service.call('SPUBLISH', 'other:n', 'x')).rejects.toThrow(/NOPERM/);
      expect(await service.call('SPUBLISH', shardChannel, '')).toEqual(expect.any(Number)); // the receivers: watches still subscribed
    } finally {
      service.disconnect();
    }
  });

  it('refuses everything else: other keys, admin and key-enumeration commands, the default user', async () => {
    const service = new Redis({ port: redis.server.port, host: '127.0.0.1', username: SERVICE_USER, password: redis.password, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await service.connect();
      const refused: [string, ...string[]][] = [
        ['GET', 'other:key'],
        ['SET', 'other:key', '1'],
        ['FLUSHALL'],
        ['KEYS', '*'],
        ['SCAN', '0'],
        ['CONFIG', 'GET', 'maxmemory'],
        ['DEBUG', 'SLEEP', '0'],
        ['SCRIPT', 'FLUSH'],
        ['SHUTDOWN'],
        ['PUBLISH', 'channel', 'x'],
      ];
      for (const [command, ...args] of refused) {
        // DEBUG is refused before the ACL check (enable-debug-command no); everything else by the ACL.
        await expect(service.call(command, ...args)).rejects.toThrow(/NOPERM|DEBUG command not allowed/);
      }
      // An unauthenticated connection is the default user, which is off.
      expect(execFileSync('redis-cli', ['-p', String(redis.server.port), 'PING'], { encoding: 'utf8' })).toMatch(/NOAUTH/);
    } finally {
      service.disconnect();
    }
  });
});
