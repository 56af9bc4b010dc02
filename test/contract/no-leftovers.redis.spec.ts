/**
 * Redis keeps nothing that outlives its workflow: every key has a TTL, the sweep leaves index entries only for
 * live workflows, and a prefix whose workflows all expired empties itself with no further call — but for its format
 * record (`<prefix>:format`, a few bytes a tenant), which must outlive the data it describes.
 * A workflow's history (`…:h:<id>`) expires exactly when its record does (and goes with it on delete); a shard's
 * change feed (`…:x`) expires the retention (EVENTS_RETENTION_SECONDS, 1 s here) after its newest event.
 * Redis-only, so it may look at internals (key layout, the sweep).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore, type Workflow } from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

let server: RedisServer;
/** Inspects the server directly (SCAN, PTTL, TYPE, ZRANGE): never through the store under test. */
let inspector: Redis;
const stores: ValidatingWorkflowStore[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  inspector = new Redis(server.url, { maxRetriesPerRequest: 1, commandTimeout: 5000 });
});

afterAll(async () => {
  for (const store of stores.splice(0)) await store.close();
  inspector?.disconnect();
  await server?.stop();
});

/** How long the stores of this file keep change-feed events: a shard's stream lives this long after its newest event. */
const RETENTION_MS = 1_000;

/**
 * A Redis store with its own prefix and no periodic sweep (so nothing cleans up behind the test's back), history on
 * (the default 10 versions) and a short event retention.
 */
async function storeFor(prefix: string, env: Record<string, string> = {}): Promise<{ store: ValidatingWorkflowStore; backend: RedisStorageBackend }> {
  const store = createWorkflowStore(
    loadWorkflowStoreConfig({
      USE_REDIS: 'true',
      REDIS_URL: server.url,
      REDIS_KEY_PREFIX: prefix,
      REDIS_PURGE_INTERVAL_MS: '0',
      WORKFLOW_STATE_TTL: '60',
      REDIS_COMMAND_TIMEOUT_MS: '2000',
      EVENTS_RETENTION_SECONDS: String(RETENTION_MS / 1000),
      ...env,
    }),
    quietLogger(),
  );
  await store.connect();
  stores.push(store);
  return { store, backend: store.backend as RedisStorageBackend };
}

/** Every key under the prefix, by SCAN (never KEYS). */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await inspector.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    for (const key of batch) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  return [...keys].sort();
}

/** PTTL of every key under the prefix but its format record (-2: vanished between SCAN and PTTL). */
async function ttlsUnder(prefix: string): Promise<Map<string, number>> {
  const keys = (await keysUnder(prefix)).filter((key) => key !== `${prefix}:format`);
  const pipeline = inspector.pipeline();
  for (const key of keys) pipeline.pttl(key);
  const replies = (await pipeline.exec()) ?? [];
  return new Map(keys.map((key, i) => [key, Number(replies[i]?.[1])]));
}

/** Asserts that every key under the prefix expires, and no later than `maxTtlMs` from now. */
async function expectEveryKeyHasTtl(prefix: string, maxTtlMs: number, step: string): Promise<number> {
  const ttls = await ttlsUnder(prefix);
  const immortal = [...ttls].filter(([, ttl]) => ttl === -1).map(([key]) => key);
  expect({ step, immortal }).toEqual({ step, immortal: [] });
  const tooLong = [...ttls].filter(([, ttl]) => ttl > maxTtlMs).map(([key, ttl]) => `${key} (${ttl} ms)`);
  expect({ step, tooLong }).toEqual({ step, tooLong: [] });
  return ttls.size;
}

/**
 * The longest a key may live for workflows of TTL `ttlMs`: index keys get a tenth more (see extendIndexes in
 * common.lua); a shard's stream lives the event retention.
 */
const withIndexMargin = (ttlMs: number): number => Math.max(ttlMs * 1.1, RETENTION_MS);

const isHistoryKey = (key: string): boolean => /\}:h:/.test(key);
const isStreamKey = (key: string): boolean => key.endsWith(':x');
/** The record key of the workflow a history key belongs to (same shard tag, same id). */
const recordOfHistory = (key: string): string => key.replace(/\}:h:/, '}:w:');

/**
 * Every history key expires at the very millisecond its workflow's record does (both get the same PXAT / PEXPIREAT in
 * each write), and none exists without its record; every stream expires within the retention. Returns the numbers
 * of history and stream keys found.
 */
async function expectHistoriesAndStreams(prefix: string, step: string): Promise<{ histories: number; streams: number }> {
  const keys = await keysUnder(prefix);
  const histories = keys.filter(isHistoryKey);
  const streams = keys.filter(isStreamKey);
  const pipeline = inspector.pipeline();
  for (const key of histories) pipeline.pexpiretime(key).pexpiretime(recordOfHistory(key));
  for (const key of streams) pipeline.pttl(key).type(key);
  const replies = ((await pipeline.exec()) ?? []).map(([, value]) => value);
  const mismatched = histories
    .map((key, i) => ({ key, history: Number(replies[2 * i]), record: Number(replies[2 * i + 1]) }))
    .filter(({ history, record }) => history !== record || record <= 0);
  expect({ step, mismatched }).toEqual({ step, mismatched: [] });
  const offset = 2 * histories.length;
  const badStreams = streams
    .map((key, i) => ({ key, ttl: Number(replies[offset + 2 * i]), type: String(replies[offset + 2 * i + 1]) }))
    .filter(({ ttl, type }) => !(ttl > 0 && ttl <= RETENTION_MS) || type !== 'stream');
  expect({ step, badStreams }).toEqual({ step, badStreams: [] });
  return { histories: histories.length, streams: streams.length };
}

const idOfMember = (member: string): string => member.slice(member.lastIndexOf('\u0000') + 1);

describe('Redis keeps nothing that outlives its workflow', () => {
  it('after expiry and the sweep, only the live workflows keep keys, and every index lists only them', async () => {
    const prefix = randomPrefix();
    const { store, backend } = await storeFor(prefix);

    const live = await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.create({ id: randomId('live'), type: 'long', status: `l${i % 2}`, state: { i } }, { operationId: `op-live-${i}` })),
    );
    const liveIds = new Set(live.map((w) => w.id));
    const [l0, l1, l2, l3, l4] = live as [Workflow, Workflow, Workflow, Workflow, Workflow];
    await store.update(l0.id, { status: 'review', state: { changed: true } }, { operationId: 'op-l0-u' });
    await store.update(l1.id, { type: 'long2' });
    await store.touch(l2.id, { ttlSeconds: 120, operationId: 'op-l2-t' });
    await store.save(l3.id, { state: { saved: true } }, { operationId: 'op-l3-s' });
    await store.mutate(l4.id, (w) => ({ status: 'mutated', state: { ...w.state, m: 1 } }));

    const short = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.create(
          { id: randomId('short'), type: `short${i % 2}`, status: `s${i % 3}`, state: { i }, ttlSeconds: 1 },
          i % 4 === 0 ? { operationId: `op-short-${i}` } : {},
        ),
      ),
    );
    const ids = short.map((w) => w.id);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) writes.push(store.update(ids[i] as string, { status: `moved${i % 2}`, state: { u: i } }, i % 2 ? { operationId: `op-u-${i}` } : {}));
    for (let i = 20; i < 40; i++) writes.push(store.touch(ids[i] as string, i % 2 ? { operationId: `op-t-${i}` } : {}));
    for (let i = 40; i < 50; i++) writes.push(store.delete(ids[i] as string, { operationId: `op-d-${i}` }));
    for (let i = 50; i < 60; i++) writes.push(store.delete(ids[i] as string, { expectedVersion: 1 }));
    for (let i = 60; i < 70; i++) writes.push(store.save(ids[i] as string, { type: 'resaved', state: { s: i } }, { operationId: `op-s-${i}` }));
    for (let i = 0; i < 5; i++) writes.push(store.save(randomId('upsert'), { state: { i }, ttlSeconds: 1 }, { operationId: `op-up-${i}` }));
    for (let i = 0; i < 5; i++) {
      const now = Date.now();
      writes.push(
        store.restore({
          id: randomId('restored'),
          type: 'restored',
          status: 'r',
          state: { i },
          version: 3,
          createdAt: new Date(now - 60_000).toISOString(),
          updatedAt: new Date(now - 1_000).toISOString(),
          expiresAt: new Date(now + 1_000).toISOString(),
          ttlSeconds: 1,
        }),
      );
    }
    await Promise.all(writes);
    const lastWrite = Date.now();
    await expectEveryKeyHasTtl(prefix, withIndexMargin(120_000) + 1000, 'after the workload');
    const written = await expectHistoriesAndStreams(prefix, 'after the workload');
    // The 4 live workflows written twice or more have a history (so do the short ones updated or saved, until they expire).
    expect(written.histories).toBeGreaterThanOrEqual(4);
    for (const w of [l0, l1, l3, l4]) expect([w.id, await inspector.exists(backend.keys.history(w.id))]).toEqual([w.id, 1]);
    expect(written.streams).toBeGreaterThan(0);

    await sleep(lastWrite + 2_500 - Date.now());
    const removed = await backend.purgeExpired();
    // 200 short + 5 upserts + 5 restores, less the 20 deleted (unindexed by their delete); writes may have swept some.
    expect(removed).toBeLessThanOrEqual(190);
    expect(await backend.purgeExpired()).toBe(0);

    const allowed = new Set<string>();
    const indexKeys = new Set<string>();
    for (let shard = 0; shard < backend.shards; shard++) {
      const keys = backend.keys.shard(shard);
      for (const key of [keys.index, keys.expiry, keys.labels]) indexKeys.add(key);
    }
    const recordKeys = new Set<string>();
    for (const id of liveIds) {
      const keys = backend.keys.forWorkflow(id);
      recordKeys.add(keys.record);
      allowed.add(keys.record);
    }
    // Remembered idempotency keys of live workflows (`…:k:<id>:<key>`) stay for their window; of others, none.
    const idempotencyOfLive = (key: string): boolean => [...liveIds].some((id) => key.includes(`}:k:${id}:`));
    // Histories of the live workflows written more than once (l0, l1, l3, l4; l2 was only touched); of others, none.
    const historyKeys = new Set([l0, l1, l3, l4].map((w) => backend.keys.history(w.id)));
    for (const key of historyKeys) allowed.add(key);
    // The shard streams: the sweep just recorded expiry events.
    const streamKeys = new Set(Array.from({ length: backend.shards }, (_, shard) => backend.keys.shard(shard).events));

    const ttls = await ttlsUnder(prefix);
    const unexpected = [...ttls.keys()].filter((key) => !allowed.has(key) && !indexKeys.has(key) && !streamKeys.has(key) && !idempotencyOfLive(key));
    expect(unexpected).toEqual([]);
    for (const key of historyKeys) expect([key, ttls.has(key)]).toEqual([key, true]);
    expect([...ttls.keys()].filter(isStreamKey).length).toBeGreaterThan(0);
    await expectHistoriesAndStreams(prefix, 'after expiry and the sweep');
    for (const key of recordKeys) expect(ttls.has(key)).toBe(true);
    for (const [key, ttl] of ttls) expect([key, ttl > 0]).toEqual([key, true]);

    let indexEntries = 0;
    let expiryEntries = 0;
    let labelEntries = 0;
    for (const key of ttls.keys()) {
      if (!indexKeys.has(key)) continue;
      const type = await inspector.type(key);
      if (type === 'zset') {
        const members = await inspector.zrange(key, 0, '-1');
        const strangers = members.filter((member) => !liveIds.has(idOfMember(member)));
        expect({ key, strangers }).toEqual({ key, strangers: [] });
        if (key.endsWith(':i')) indexEntries += members.length;
        else expiryEntries += members.length;
      } else {
        expect(type).toBe('hash');
        const fields = await inspector.hkeys(key);
        expect(fields.filter((id) => !liveIds.has(id))).toEqual([]);
        labelEntries += fields.length;
      }
    }
    // Each live workflow: four index entries (all, type, type+status, status), one expiry entry, one labels entry.
    expect({ indexEntries, expiryEntries, labelEntries }).toEqual({ indexEntries: 20, expiryEntries: 5, labelEntries: 5 });

    const listed = await store.list({ limit: 1000 });
    expect(listed.items.map((w) => w.id).sort()).toEqual([...liveIds].sort());
  }, 60_000);

  it('empties itself completely when every workflow of a prefix has expired, with no further call', async () => {
    const prefix = randomPrefix();
    const { store } = await storeFor(prefix);
    const created = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        store.create({ id: randomId('gone'), type: `t${i % 3}`, status: `s${i % 2}`, state: { i }, ttlSeconds: 1 }, i % 2 ? { operationId: `op-${i}` } : {}),
      ),
    );
    const ids = created.map((w) => w.id);
    await Promise.all([
      ...ids.slice(0, 10).map((id, i) => store.update(id, { status: 'moved', state: { u: i } }, { operationId: `op-u-${i}` })),
      ...ids.slice(10, 20).map((id, i) => store.touch(id, i % 2 ? { operationId: `op-t-${i}` } : {})),
      ...ids.slice(20, 30).map((id, i) => store.delete(id, i % 2 ? { operationId: `op-d-${i}` } : {})),
      ...ids.slice(30, 35).map((id, i) => store.save(id, { type: 'resaved', state: { s: i } }, { operationId: `op-s-${i}` })),
      store.save(randomId('upsert'), { state: {}, ttlSeconds: 1 }, { operationId: 'op-upsert' }),
      store.restore({
        id: randomId('restored'),
        type: 'restored',
        status: 'r',
        state: {},
        version: 2,
        createdAt: new Date(Date.now() - 10_000).toISOString(),
        updatedAt: new Date(Date.now() - 10_000).toISOString(),
        expiresAt: new Date(Date.now() + 1_000).toISOString(),
        ttlSeconds: 1,
      }),
      (async () => {
        const id = randomId('restored-history');
        const now = Date.now();
        const version = (v: number): Workflow => ({
          id,
          type: 'restored',
          status: `r${v}`,
          state: { v },
          version: v,
          createdAt: new Date(now - 10_000).toISOString(),
          updatedAt: new Date(now - 10_000 + v).toISOString(),
          expiresAt: new Date(now + (v === 3 ? 1_000 : -5_000)).toISOString(),
          ttlSeconds: 1,
        });
        expect(await store.restoreWithHistory({ workflow: version(3), history: [version(1), version(2)] })).toBe('written');
      })(),
    ]);
    const lastWrite = Date.now();
    const count = await expectEveryKeyHasTtl(prefix, withIndexMargin(1_000), 'before expiry');
    expect(count).toBeGreaterThan(50);
    // Histories (of the updated, saved and restored-with-history ones) and streams were written, and expire as they should.
    const written = await expectHistoriesAndStreams(prefix, 'before expiry');
    expect(written.histories).toBeGreaterThan(0);
    expect(written.streams).toBeGreaterThan(0);
    // No further call of the store at all, not even close(), until the check.
    await sleep(lastWrite + 2_500 - Date.now());
    expect(await keysUnder(prefix)).toEqual([`${prefix}:format`]);
    await store.close();
  }, 30_000);

  it('gives every key a TTL after every step of a mixed workload, bounded by the longest workflow TTL', async () => {
    const prefix = randomPrefix();
    const { store } = await storeFor(prefix);
    const a = randomId('mix-a');
    const b = randomId('mix-b');
    const c = randomId('mix-c');
    const d = randomId('mix-d');
    const expectRejection = async (promise: Promise<unknown>): Promise<void> => {
      await expect(promise).rejects.toBeInstanceOf(Error);
    };
    const steps: [string, () => Promise<unknown>][] = [
      ['create a with op', () => store.create({ id: a, type: 'mix', state: { n: 0 } }, { operationId: 'op-1' })],
      ['create a again (replay)', () => store.create({ id: a, type: 'mix', state: { n: 0 } }, { operationId: 'op-1' })],
      ['create a taken', () => expectRejection(store.create({ id: a, type: 'mix', state: {} }, { operationId: 'op-taken' }))],
      ['create b plain', () => store.create({ id: b, type: 'mix', status: 'draft', state: {}, ttlSeconds: 30 })],
      ['save c upsert with op', () => store.save(c, { state: { c: 1 } }, { operationId: 'op-2' })],
      ['save c plain', () => store.save(c, { type: 'mix2', state: { c: 2 }, ttlSeconds: 45 })],
      ['save c cas', () => store.save(c, { state: { c: 3 } }, { expectedVersion: 2, operationId: 'op-3' })],
      ['save c stale', () => expectRejection(store.save(c, { state: {} }, { expectedVersion: 1 }))],
      ['save d missing cas', () => expectRejection(store.save(d, { state: {} }, { expectedVersion: 1, operationId: 'op-4' }))],
      ['update a with op', () => store.update(a, { status: 'review', state: { x: 1 } }, { operationId: 'op-5' })],
      ['update a replay', () => store.update(a, { status: 'review', state: { x: 1 } }, { operationId: 'op-5' })],
      ['update b plain', () => store.update(b, { type: 'mix3', state: { y: [] } })],
      ['update d missing', () => expectRejection(store.update(d, { state: {} }, { operationId: 'op-6' }))],
      ['touch a short', () => store.touch(a, { ttlSeconds: 5, operationId: 'op-7' })],
      ['touch b plain', () => store.touch(b)],
      ['touch d missing', () => expectRejection(store.touch(d, { operationId: 'op-8' }))],
      ['mutate c', () => store.mutate(c, (w) => ({ status: 'mutated', state: { ...w.state, m: 1 } }), { operationId: 'op-9' })],
      ['restore d', () => store.restore({ id: d, type: 'mix', status: 'r', state: {}, version: 9, createdAt: new Date(Date.now() - 5000).toISOString(), updatedAt: new Date(Date.now() - 5000).toISOString(), expiresAt: new Date(Date.now() + 20_000).toISOString(), ttlSeconds: 20 })],
      ['restore d skipped', () => store.restore({ id: d, type: 'mix', status: 'r', state: {}, version: 2, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 50_000).toISOString(), ttlSeconds: 50 })],
      ['delete b with op', () => store.delete(b, { operationId: 'op-10' })],
      ['delete b replay', () => store.delete(b, { operationId: 'op-10' })],
      ['delete b missing', () => expectRejection(store.delete(b))],
      ['delete c stale', () => expectRejection(store.delete(c, { expectedVersion: 1 }))],
      ['delete d plain', () => store.delete(d)],
      ['create d again with op', () => store.create({ id: d, type: 'mix', state: {} }, { operationId: 'op-11' })],
      ['delete a plain', () => store.delete(a)],
      ['create a again', () => store.create({ id: a, type: 'mix', state: {}, ttlSeconds: 2 })],
      ['list', () => store.list({ type: 'mix' })],
    ];
    let histories = 0;
    for (const [step, run] of steps) {
      await run();
      // The store's default TTL is 60 s, and no workflow asks for more.
      await expectEveryKeyHasTtl(prefix, withIndexMargin(60_000) + 1_000, step);
      histories = Math.max(histories, (await expectHistoriesAndStreams(prefix, step)).histories);
    }
    expect((await ttlsUnder(prefix)).size).toBeGreaterThan(0);
    expect(histories).toBeGreaterThan(0);
  }, 30_000);

  it('gives a restored workflow’s keys the remaining TTL of the record', async () => {
    const prefix = randomPrefix();
    const { store, backend } = await storeFor(prefix);
    const id = randomId('restored');
    const now = Date.now();
    const outcome = await store.restore({
      id,
      type: 'restored',
      status: 'r',
      state: { a: 1 },
      version: 4,
      createdAt: new Date(now - 86_400_000).toISOString(),
      updatedAt: new Date(now - 3_600_000).toISOString(),
      expiresAt: new Date(now + 30_000).toISOString(),
      ttlSeconds: 3_000,
    });
    expect(outcome).toBe('written');
    const ttl = await inspector.pttl(backend.keys.record(id));
    expect(Math.abs(ttl - (now + 30_000 - Date.now()))).toBeLessThanOrEqual(1_000);
  });

  it('a history expires with its workflow through every kind of write, and goes with it on delete; after all expire, nothing is left', async () => {
    const prefix = randomPrefix();
    const { store, backend } = await storeFor(prefix);
    const a = randomId('hist-a');
    const b = randomId('hist-b');
    const c = randomId('hist-c');
    const now = Date.now();
    const version = (id: string, v: number, ttlSeconds: number): Workflow => ({
      id,
      type: 'h',
      status: `s${v}`,
      state: { v },
      version: v,
      createdAt: new Date(now - 60_000).toISOString(),
      updatedAt: new Date(now - 60_000 + v).toISOString(),
      expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
      ttlSeconds,
    });
    const steps: [string, () => Promise<unknown>][] = [
      ['create a', () => store.create({ id: a, type: 'h', state: {}, ttlSeconds: 1 })],
      ['save a', () => store.save(a, { state: { n: 2 } })],
      ['update a', () => store.update(a, { status: 'u' })],
      ['touch a longer', () => store.touch(a, { ttlSeconds: 2 })],
      ['mutate a', () => store.mutate(a, (w) => ({ state: { ...w.state, m: 1 } }))],
      ['touch a shorter', () => store.touch(a, { ttlSeconds: 1 })],
      ['restore b with history', () => store.restoreWithHistory({ workflow: version(b, 4, 2), history: [version(b, 2, 9), version(b, 3, 9)] })],
      ['touch b', () => store.touch(b, { ttlSeconds: 2 })],
      ['create c', () => store.create({ id: c, type: 'h', state: {}, ttlSeconds: 2 })],
      ['save c', () => store.save(c, { state: { n: 2 } })],
      ['delete c', () => store.delete(c)],
    ];
    for (const [step, run] of steps) {
      await run();
      await expectHistoriesAndStreams(prefix, step);
    }
    expect(await inspector.exists(backend.keys.history(a), backend.keys.history(b), backend.keys.history(c))).toBe(2);
    const lastWrite = Date.now();
    // No further call of the store: the workflows expire within 2 s, their histories with them, the streams 1 s
    // after their newest event, the index keys a tenth of the longest TTL (2 s) after the last workflow.
    await sleep(lastWrite + 2_600 - Date.now());
    expect(await keysUnder(prefix)).toEqual([`${prefix}:format`]);
  }, 30_000);

  it('writes no stream with events off (EVENTS_RETENTION_SECONDS=0) and no history with WORKFLOW_HISTORY_VERSIONS=0', async () => {
    const prefix = randomPrefix();
    const { store } = await storeFor(prefix, { EVENTS_RETENTION_SECONDS: '0', WORKFLOW_HISTORY_VERSIONS: '0' });
    const id = randomId('bare');
    await store.create({ id, type: 'b', state: {} });
    await store.save(id, { state: { n: 2 } });
    await store.update(id, { status: 'u' });
    await store.touch(id);
    const restored = randomId('bare-r');
    const record = (version: number): Workflow => ({
      id: restored,
      type: 'b',
      status: 'r',
      state: { version },
      version,
      createdAt: new Date(Date.now() - 10_000).toISOString(),
      updatedAt: new Date(Date.now() - 10_000 + version).toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      ttlSeconds: 60,
    });
    expect(await store.restoreWithHistory({ workflow: record(3), history: [record(1), record(2)] })).toBe('written');
    expect((await store.history(restored))?.versions.map((v) => v.version)).toEqual([3]);
    await store.delete(id);
    const keys = await keysUnder(prefix);
    expect(keys.filter((key) => isHistoryKey(key) || isStreamKey(key))).toEqual([]);
    expect(keys.length).toBeGreaterThan(1);
  });

  it('a workflow that expires holding a lease, or stalled, leaves no lease record, lease-queue or stalled entry once swept', async () => {
    const prefix = randomPrefix();
    const { store, backend } = await storeFor(prefix, { LEASE_SWEEP_INTERVAL_MS: '0' });
    const keeps = await store.create({ id: randomId('keeps'), type: 'l', state: {} });
    // In the shard of a workflow that lives on, so the shard's keys outlive the two (a shard's keys whose workflows
    // all expired go by their own TTL, which would hide what the sweep leaves).
    const inShard = (label: string): string => {
      for (;;) {
        const id = randomId(label);
        if (backend.keys.shardOf(id) === backend.keys.shardOf(keeps.id)) return id;
      }
    };
    const held = await store.create({ id: inShard('held'), type: 'l', state: {}, ttlSeconds: 2 });
    const stalled = await store.create({ id: inShard('stalled'), type: 'l', state: {}, ttlSeconds: 2 });
    await store.acquireLease(held.id, { owner: 'outlives-it', ttlMs: 30_000 });
    await store.acquireLease(keeps.id, { owner: 'live', ttlMs: 30_000 });
    await store.acquireLease(stalled.id, { owner: 'crashed', ttlMs: 100 });
    await sleep(150);
    for (let shard = 0; shard < backend.shards; shard++) await backend.expireLeases(shard);
    expect((await store.list({ stalled: true })).items.map((w) => w.id)).toEqual([stalled.id]);

    await sleep(Math.max(Date.parse(held.expiresAt), Date.parse(stalled.expiresAt)) + 100 - Date.now());
    expect(await backend.purgeExpired()).toBe(2);
    // What the shard's lease keys hold (own: lease records, lsz: held-lease queue, idx "z\0id": stalled entries).
    const keys = backend.keys.shard(backend.keys.shardOf(keeps.id));
    const named = [
      // The field '' is the shard's last token issued (never reissued), not a workflow's.
      ...(await inspector.hkeys(keys.leases)).filter((id) => id !== '').map((id) => `own ${id}`),
      ...(await inspector.zrange(keys.leaseExpiry, 0, '-1')).map((id) => `queue ${id}`),
      ...(await inspector.zrangebylex(keys.index, '[z\u0000', '(z\u0001')).map((member) => `stalled ${idOfMember(member)}`),
    ];
    expect(named.sort()).toEqual([`own ${keeps.id}`, `queue ${keeps.id}`]);
    expect(await store.list({ stalled: true })).toEqual({ items: [], nextCursor: null });
  });

  it('never sends KEYS to the server', async () => {
    const info = await inspector.info('commandstats');
    expect(info).not.toMatch(/cmdstat_keys:/);
  });
});
