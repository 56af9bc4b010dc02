/**
 * The repository's redis.conf: it says what production needs (AOF everysec + RDB, noeviction, protected mode,
 * default user off, a least-privilege service user on the store's prefix), it loads in the Debian redis-server
 * used by the tests, and the whole store works as its service user, while everything else is refused.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore } from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { defaultShardOf } from '../support/redis-layout.js';
import { keysWithoutTtl } from '../support/key-ttl.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId } from '../support/random-ids.js';
import { PASSWORD_PLACEHOLDER, REPO_REDIS_CONF, SERVICE_USER, startProductionRedis, type ProductionRedis } from '../support/repo-redis-conf.js';

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
    expect(service).toMatch(PASSWORD_PLACEHOLDER);
    expect(service).not.toMatch(/ >/); // no clear-text password
    expect(service).not.toMatch(/~\*|allkeys|\+@all|allcommands/);
  });
});

describe('redis.conf loaded by redis-server, the store running as its service user', () => {
  let redis: ProductionRedis;
  let admin: Redis;
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
