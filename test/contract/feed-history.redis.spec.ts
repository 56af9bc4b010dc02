import { afterAll, describe, expect, it } from '@jest/globals';
import { VersionNotKeptError, type ValidatingWorkflowStore } from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { randomPrefix } from '../support/random-ids.js';
import { layoutOf } from '../support/redis-layout.js';
import { RedisServer } from '../support/redis-server.js';
import { describeFeedContract } from './feed.contract.js';
import { Collector, brief, compareEventIds, freshTenant, messageText, redisFeedHarness, rejectsWith, sleep, uniq, type FeedStore } from './feed-support.js';
import { describeHistoryContract } from './history.contract.js';

// A private redis-server for this file, a key prefix of its own for every store (unless reopened), no periodic
// sweep (expiries are observed when the test sweeps).
const harness = redisFeedHarness();
const server = harness.redis;

describeFeedContract('redis', harness);
describeHistoryContract('redis', harness);

describe('change feed and history: Redis specifics', () => {
  const opened: FeedStore[] = [];
  afterAll(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  async function openOwn(env: Record<string, string>): Promise<FeedStore> {
    const store = await harness.open({ USE_REDIS: 'true', REDIS_COMMAND_TIMEOUT_MS: '5000', REDIS_PURGE_INTERVAL_MS: '0', ...env });
    opened.push(store);
    return store;
  }

  /** An id of `label` whose workflow lives in `shard` of (prefix, tenant, shards). */
  function idInShard(prefix: string, tenant: string, shards: number, shard: number, label: string): string {
    const layout = layoutOf(prefix, tenant, shards);
    for (;;) {
      const id = uniq(label);
      if (layout.shardOf(id) === shard) return id;
    }
  }

  // Redis does not say which ids a trim dropped (XINFO's max-deleted-entry-id counts XDEL only, checked on 7.0), so
  // a shard that dropped entries and whose oldest kept entry is after the point may have dropped one after it: the
  // feed answers with a reset rather than risk a gap. This pins that conservative answer (README: Change feed).
  it('a resume point older than what a trimmed shard still holds gets a reset, even when only older entries were dropped', async () => {
    // Stream nodes of 10 entries, so the size cap drops exactly the entries written before the resume point.
    const small = await RedisServer.start({ args: ['--stream-node-max-entries', '10'] });
    try {
      const prefix = randomPrefix();
      const env = { REDIS_URL: small.url, REDIS_KEY_PREFIX: prefix, REDIS_SHARDS: '2', EVENTS_MAX_PER_SHARD: '100' };
      const writer = await openOwn(env);
      const tenant = freshTenant();
      const t = writer.forTenant(tenant);
      const a = idInShard(prefix, tenant, 2, 0, 'busy');
      const b = idInShard(prefix, tenant, 2, 1, 'point');
      const all = await Collector.open(t);
      await t.create({ id: a, type: 'tx', state: {} });
      for (let n = 2; n <= 20; n++) await t.save(a, { state: { n } });
      // Writes of one millisecond are ordered by each stream's own sequence, then shard: the point gets its own
      // millisecond, so "after the point" is exactly the writes made after it.
      await sleep(3);
      await t.create({ id: b, type: 'tx', state: {} });
      await sleep(3);
      for (let n = 21; n <= 120; n++) await t.save(a, { state: { n } });
      await sleep(3);
      const end = uniq('end');
      await t.create({ id: end, type: 'tx', state: {} });
      await all.untilEventOf(end);
      const point = all.events.find((e) => e.id === b)?.eventId as string;
      const rest = all.events.filter((e) => compareEventIds(e.eventId, point) > 0);
      expect(rest.length).toBe(101);

      // What the streams hold: shard 0 dropped its 20 entries from before the point and nothing after it.
      const layout = layoutOf(prefix, tenant, 2);
      const info = (await small.command('XINFO', 'STREAM', layout.shard(0).events)) as unknown[];
      const field = (name: string): unknown => info[info.indexOf(name) + 1];
      expect(Number(field('entries-added')) - Number(field('length'))).toBe(20);

      const reader = await openOwn(env);
      const resumed = await Collector.open(reader.forTenant(tenant), {}, point);
      await resumed.until((messages) => messages.some((m) => m.kind === 'reset'), 'a reset');
      expect(resumed.messages.map(messageText)).toEqual(['reset(trimmed)']);
      // Live events follow the reset.
      const after = uniq('after');
      await t.create({ id: after, type: 'tx', state: {} });
      await resumed.untilEventOf(after, 'created');
      expect(resumed.messages.map(messageText)).toEqual(['reset(trimmed)', `created ${after} v1 tx/created`]);
      await resumed.close();
      await all.close();
    } finally {
      for (const store of opened.splice(0)) await store.close();
      await small.stop();
    }
  }, 60_000);

  it('a smaller WORKFLOW_HISTORY_VERSIONS than the history was written with keeps only what it allows (2, and 0)', async () => {
    const prefix = randomPrefix();
    const base = { REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix };
    const five = await openOwn({ ...base, WORKFLOW_HISTORY_VERSIONS: '5' });
    const two = await openOwn({ ...base, WORKFLOW_HISTORY_VERSIONS: '2' });
    const none = await openOwn({ ...base, WORKFLOW_HISTORY_VERSIONS: '0' });
    for (const [later, keep] of [[two, 2], [none, 0]] as const) {
      const id = uniq(`shrink${keep}`);
      const stored = [await five.create({ id, type: 'th', state: { n: 1 } })];
      for (let n = 2; n <= 5; n++) stored.push(await five.save(id, { state: { n } }));
      expect((await five.history(id))?.versions.map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
      stored.push(await later.save(id, { state: { n: 6 } }));
      const history = await later.history(id);
      expect({ keep, versions: history?.versions.map((v) => v.version), oldest: history?.oldestVersion }).toEqual({
        keep,
        versions: [6, 5, 4].slice(0, keep + 1),
        oldest: 6 - keep,
      });
      for (let version = 1; version < 6 - keep; version++) {
        await rejectsWith(later.getVersion(id, version), VersionNotKeptError, `keep ${keep}: getVersion(${version})`);
      }
    }
  });

  it("the periodic sweep (sweepTick) records the expiry of a tenant's workflow", async () => {
    const prefix = randomPrefix();
    const store = await openOwn({ REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix });
    const tenant = freshTenant();
    const t = store.forTenant(tenant);
    const all = await Collector.open(t);
    const id = uniq('swept');
    // A long-lived workflow in the same shard keeps the shard's index keys (see the expiry tests of the contract).
    const companion = idInShard(prefix, tenant, 64, layoutOf(prefix, tenant, 64).shardOf(id), 'companion');
    await t.create({ id: companion, type: 'ts', state: {}, ttlSeconds: 600 });
    const created = await t.create({ id, type: 'ts', status: 'st', state: {}, ttlSeconds: 1 });
    await sleep(Date.parse(created.expiresAt) + 60 - Date.now());
    expect(await ((store as ValidatingWorkflowStore).backend as RedisStorageBackend).sweepTick()).toBeGreaterThanOrEqual(1);
    await all.untilEventOf(id, 'expired');
    expect(all.events.map(brief)).toEqual([`created ${companion} v1 ts/created`, `created ${id} v1 ts/st`, `expired ${id} v1 ts/st`]);
    expect(all.events.every((e) => e.tenant === tenant)).toBe(true);
    await all.close();
  });
});
