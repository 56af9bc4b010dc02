/**
 * The storage format is recorded and checked: a store configured differently from the data it finds refuses (at
 * boot, or at a tenant's first use) and says what it found and what to do; v1 data is refused, not ignored; the
 * sweep covers every tenant with data, also those this process never served; count() uses the server's clock.
 * Redis-only, so it looks at internals (the format record, key layout, commandstats).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  createWorkflowStore,
  InvalidInputError,
  loadWorkflowStoreConfig,
  StorageFormatError,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { V1Keys } from '../../libs/workflow-store/src/redis/v1-layout.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

let server: RedisServer;
let inspector: Redis;
const opened: ValidatingWorkflowStore[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  inspector = new Redis(server.url, { maxRetriesPerRequest: 1, commandTimeout: 5000 });
});

afterAll(async () => {
  for (const store of opened.splice(0)) await store.close();
  inspector?.disconnect();
  await server?.stop();
});

function storeOf(prefix: string, env: Record<string, string> = {}): ValidatingWorkflowStore {
  const store = createWorkflowStore(
    loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_PURGE_INTERVAL_MS: '0', ...env }),
    quietLogger(),
  );
  opened.push(store);
  return store;
}

async function connected(prefix: string, env: Record<string, string> = {}): Promise<ValidatingWorkflowStore> {
  const store = storeOf(prefix, env);
  await store.connect();
  return store;
}

async function refusal(promise: Promise<unknown>): Promise<StorageFormatError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StorageFormatError);
  return error as StorageFormatError;
}

describe('the format record', () => {
  it('is written before a tenant\'s first write (not by boot or reads) with the format and shard count, and is the one key without a TTL', async () => {
    const prefix = randomPrefix();
    const store = await connected(prefix, { REDIS_SHARDS: '32' });
    await store.get('nothing');
    await store.forTenant('acme').list({});
    expect(await inspector.exists(`${prefix}:format`)).toBe(0);
    await store.forTenant('acme').create({ type: 't', state: {} });
    await store.create({ type: 't', state: {} });
    const records = await inspector.hgetall(`${prefix}:format`);
    expect(Object.keys(records).sort()).toEqual(['acme', 'default']);
    for (const text of Object.values(records)) expect(JSON.parse(text)).toMatchObject({ format: 2, shards: 32 });
    expect(await inspector.pttl(`${prefix}:format`)).toBe(-1);
  });

  it('refuses to boot over data written with another shard count, naming both counts and the way out', async () => {
    const prefix = randomPrefix();
    const first = await connected(prefix, { REDIS_SHARDS: '16' });
    const id = randomId('fmt');
    await first.create({ id, type: 't', state: { a: 1 } });
    const error = await refusal(storeOf(prefix, { REDIS_SHARDS: '32' }).connect());
    expect(error.message).toContain('REDIS_SHARDS=16');
    expect(error.message).toContain('REDIS_SHARDS=32');
    expect(error.message).toContain('workflow-store upgrade --shards 32');
    // Nothing was written by the refused store, and the data is intact for a store configured like it.
    expect(JSON.parse((await inspector.hget(`${prefix}:format`, 'default')) as string)).toMatchObject({ shards: 16 });
    expect((await (await connected(prefix, { REDIS_SHARDS: '16' })).get(id))?.state).toEqual({ a: 1 });
  });

  it('refuses a tenant recorded with another shard count at its first use, on every method, writing nothing', async () => {
    const prefix = randomPrefix();
    const writer = await connected(prefix, { REDIS_SHARDS: '8' });
    const id = randomId('fmt');
    await writer.forTenant('acme').create({ id, type: 't', state: {} });
    // A store whose boot saw only the default tenant's record mismatch would refuse at boot; make the default agree.
    await inspector.hset(`${prefix}:format`, 'default', JSON.stringify({ format: 2, shards: 4, since: new Date().toISOString() }));
    const other = await connected(prefix, { REDIS_SHARDS: '4' }).catch((error: unknown) => error);
    // The boot check reads every tenant's record, so this boot is refused for acme.
    expect(other).toBeInstanceOf(StorageFormatError);
    expect((other as Error).message).toContain('tenant "acme"');

    // A tenant whose record appears after boot (another process wrote it) is refused at first use.
    const prefix2 = randomPrefix();
    const late = await connected(prefix2, { REDIS_SHARDS: '4' });
    await inspector.hset(`${prefix2}:format`, 'acme', JSON.stringify({ format: 2, shards: 8, since: new Date().toISOString() }));
    const acme = late.forTenant('acme');
    const before = await inspector.dbsize();
    for (const call of [
      () => acme.get(id),
      () => acme.create({ id, type: 't', state: {} }),
      () => acme.save(id, { state: {} }),
      () => acme.update(id, { state: {} }),
      () => acme.delete(id),
      () => acme.touch(id),
      () => acme.list({}),
      () => acme.count(),
    ]) {
      const error = await refusal(call());
      expect(error.message).toContain('REDIS_SHARDS=8');
    }
    expect(await inspector.dbsize()).toBe(before);
  });

  it('refuses storage format v1 data (default tenant at boot, another tenant at first use) and names the upgrade', async () => {
    const prefix = randomPrefix();
    const v1Default = new V1Keys(prefix, undefined);
    await inspector.zadd(v1Default.shard(3).expiry, Date.now() + 60_000, 'old-1');
    await inspector.pexpire(v1Default.shard(3).expiry, 60_000);
    const error = await refusal(storeOf(prefix).connect());
    expect(error.message).toMatch(/format v1.*workflow-store upgrade/);
    expect(await inspector.exists(`${prefix}:format`)).toBe(0);

    const prefix2 = randomPrefix();
    const v1Tenant = new V1Keys(prefix2, 'acme');
    await inspector.zadd(v1Tenant.shard(9).expiry, Date.now() + 60_000, 'old-2');
    await inspector.pexpire(v1Tenant.shard(9).expiry, 60_000);
    const store = await connected(prefix2);
    const tenantError = await refusal(store.forTenant('acme').create({ type: 't', state: {} }));
    expect(tenantError.message).toContain('tenant "acme"');
    expect(await inspector.hexists(`${prefix2}:format`, 'acme')).toBe(0);
    // Another tenant is not affected.
    await store.forTenant('globex').create({ type: 't', state: {} });
  });
});

describe('the sweep', () => {
  it('covers every tenant that has data, also tenants this process never served', async () => {
    const prefix = randomPrefix();
    // One shard, and a long-lived workflow in it, so the index keys outlive the short workflows' entries.
    const writer = await connected(prefix, { REDIS_SHARDS: '1' });
    const tenants = ['acme', 'globex', 'initech'];
    for (const tenant of tenants) {
      await writer.forTenant(tenant).create({ type: 't', state: {}, ttlSeconds: 60 });
      await Promise.all(Array.from({ length: 20 }, () => writer.forTenant(tenant).create({ type: 't', state: {}, ttlSeconds: 1 })));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const sweeper = await connected(prefix, { REDIS_SHARDS: '1' });
    const removed = await (sweeper.backend as RedisStorageBackend).sweepTick();
    expect(removed).toBe(60);
    for (const tenant of tenants) {
      const backend = sweeper.forTenant(tenant).backend as RedisStorageBackend;
      expect(await inspector.zcard(backend.keys.shard(0).expiry)).toBe(1);
      expect(await inspector.zcard(backend.keys.shard(0).index)).toBe(4);
    }
  });
});

describe('count and restore', () => {
  it('count() asks Redis for the time (TIME) instead of trusting this process’s clock', async () => {
    const store = await connected(randomPrefix());
    const before = Number(/cmdstat_time:calls=(\d+)/.exec(await inspector.info('commandstats'))?.[1] ?? 0);
    await store.count();
    const after = Number(/cmdstat_time:calls=(\d+)/.exec(await inspector.info('commandstats'))?.[1] ?? 0);
    expect(after - before).toBe(1);
  });

  it('refuses a restored record that would live longer than WORKFLOW_MAX_TTL from now, and writes nothing', async () => {
    const store = await connected(randomPrefix(), { WORKFLOW_MAX_TTL: '3600', WORKFLOW_STATE_TTL: '60' });
    const now = Date.now();
    const record = {
      id: randomId('far'),
      type: 't',
      status: 's',
      state: {},
      version: 2,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      expiresAt: new Date(Date.UTC(2099, 0, 1)).toISOString(),
      ttlSeconds: 60,
    };
    await expect(store.restore(record)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await store.get(record.id)).toBeNull();
    expect(await store.restore({ ...record, expiresAt: new Date(now + 3_000_000).toISOString() })).toBe('written');
  });
});
