/**
 * The change feed on a 3-master Redis Cluster with one replica each (REDIS_SHARDS default 64, REDIS_DURABILITY=replica):
 * - a watch works at all on a Cluster (its shard channels spread over the masters) and delivers a write;
 * - with REDIS_SHARDS=16384 (5 461 shard channels per master) a watch starts as well: subscribing that many channels
 *   must not fail a watch while every node answers;
 * - kill -9 of a master while writers write (half of them to workflows on that master) and another store watches:
 *   its replica is promoted, the old master is restarted and rejoins as a replica (so writes are confirmed again).
 *   Every acknowledged write is in the feed exactly once, per workflow in write order, and per workflow the feed
 *   holds exactly the versions 1..final; event ids strictly increase; the watch went on by itself (no reset, no
 *   error); a new watch resuming after the last event seen before the kill yields exactly the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import calculateSlot from 'cluster-key-slot';
import type { ValidatingWorkflowStore } from '#workflow-store';
import { checkFeed, expectCleanFeed, FeedRecorder, KeyedWriters, resumeWatch } from '../fault/change-feed.js';
import { layoutOf } from '../support/redis-layout.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisCluster, type ClusterNodeInfo } from '../support/redis-cluster.js';

const WRITERS = 6;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: RedisCluster | undefined;
const stores: ValidatingWorkflowStore[] = [];
const recorders: FeedRecorder[] = [];
const prefix = randomPrefix();
const layout = layoutOf(prefix);
let writers: KeyedWriters | undefined;

const open = async (): Promise<ValidatingWorkflowStore> => {
  const store = await (cluster as RedisCluster).openStore(prefix, { REDIS_DURABILITY: 'replica', REDIS_PURGE_INTERVAL_MS: '0' });
  stores.push(store);
  return store;
};
const ownerOf = (id: string, masters: readonly ClusterNodeInfo[]): ClusterNodeInfo | undefined => {
  const slot = calculateSlot(layout.record(id));
  return masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b));
};

beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
}, 60_000);
afterAll(async () => {
  await writers?.stop();
  for (const recorder of recorders) await recorder.close();
  for (const store of stores) await store.close();
  await cluster?.stop();
});

describe('change feed on a Redis Cluster with replicas', () => {
  it('watches: a write is delivered', async () => {
    const store = await open();
    const type = randomId('cf');
    const live = new FeedRecorder(await store.watch({ type }));
    recorders.push(live);
    const created = await store.create({ id: randomId('cf'), type, state: {} });
    expect(await live.waitForEvent(created.id, 1, 10_000, 'created')).toBe(true);
    expect(live.events.map((e) => [e.op, e.id, e.version])).toEqual([['created', created.id, 1]]);
  }, 30_000);

  it('watches with REDIS_SHARDS=16384: thousands of shard channels per master subscribed, a write delivered', async () => {
    // Closed at the end of this test: its reader's catch-up pass (a slice of the 16 384 streams every few seconds)
    // must not load the machine during the failover test.
    const store = await (cluster as RedisCluster).openStore(randomPrefix(), { REDIS_SHARDS: '16384', REDIS_PURGE_INTERVAL_MS: '0' });
    let live: FeedRecorder | undefined;
    try {
      const type = randomId('cf');
      const started = Date.now();
      live = new FeedRecorder(await store.watch({ type }));
      const watchMs = Date.now() - started;
      const created = await store.create({ id: randomId('cf'), type, state: {} });
      const delivered = await live.waitForEvent(created.id, 1, 10_000, 'created');
      console.log(`REDIS_SHARDS=16384 on 3 masters: watch live after ${watchMs} ms`);
      expect(delivered).toBe(true);
    } finally {
      await live?.close();
      await store.close();
    }
  }, 30_000);

  it('kill -9 of a master: every acknowledged write is delivered once, in order; the watch and a resume go on from the promoted replica', async () => {
    const nodes = cluster as RedisCluster;
    const writer = await open();
    const watcher = await open();
    const type = randomId('cff');
    const live = new FeedRecorder(await watcher.watch({ type }));
    recorders.push(live);
    const masters = await nodes.masters();
    const victim = masters[0] as ClusterNodeInfo;
    const ids: string[] = [];
    while (ids.length < WRITERS) {
      const id = randomId('cff');
      if ((ownerOf(id, masters) === victim) === ids.length < WRITERS / 2) ids.push(id);
    }
    writers = new KeyedWriters(writer);
    await writers.create(ids, type);
    writers.start(ids);
    const { oks } = writers;

    await sleep(600);
    const seenBeforeKill = live.events.length;
    const killedAt = Date.now();
    let promotedAt = 0;
    let rejoinedAt = 0;
    try {
      await victim.server.kill9();
      while (!promotedAt && Date.now() - killedAt < 20_000) {
        const now = await nodes.masters().catch(() => [] as ClusterNodeInfo[]);
        if (now.length === 3 && !now.some((m) => m.id === victim.id)) promotedAt = Date.now();
        else await sleep(50);
      }
      // Back as the promoted node's replica: the writes on those slots are confirmed (WAIT 1) again.
      await victim.server.restart();
      while (!rejoinedAt && Date.now() - killedAt < 40_000) {
        const info = String(await victim.server.command('INFO', 'replication').catch(() => ''));
        if (info.includes('role:slave') && info.includes('master_link_status:up')) rejoinedAt = Date.now();
        else await sleep(100);
      }
      const writingAgain = (): boolean => ids.every((id) => oks.filter((ok) => ok.id === id && ok.at > rejoinedAt).length >= 5);
      while (rejoinedAt && !writingAgain() && Date.now() - rejoinedAt < 15_000) await sleep(50);
    } finally {
      await writers.stop();
    }

    const finals = await writers.finals();
    const caughtUp = await live.waitForFinals(finals, 15_000);
    await sleep(300);
    const check = checkFeed(live.events, writers.writes, finals);

    const resumed = await resumeWatch(await open(), type, live, seenBeforeKill, recorders, 10_000);

    const onVictim = ids.filter((id) => ownerOf(id, masters) === victim);
    console.log(
      `feed across a Cluster failover: replica promoted ${promotedAt - killedAt} ms after the kill, old master a replica again after ${rejoinedAt - killedAt} ms; ` +
        `${writers.acknowledged} acknowledged writes (${oks.filter((ok) => ok.at > killedAt && onVictim.includes(ok.id)).length} to the failed-over slots after the kill), ` +
        `${writers.unknowns} outcome-unknown, ${writers.unavailable} unavailable; feed ${live.events.length} events (${seenBeforeKill} before the kill); resume: ${resumed.recorder.events.length} events (expected ${resumed.rest.length})`,
    );
    expect(writers.unexpected).toEqual([]);
    expect(promotedAt).toBeGreaterThan(0);
    expect(rejoinedAt).toBeGreaterThan(0);
    expect(oks.filter((ok) => ok.at > rejoinedAt && onVictim.includes(ok.id)).length).toBeGreaterThanOrEqual(5 * onVictim.length);
    expect(caughtUp).toBe(true);
    expect(live.error).toBeUndefined();
    expect(live.resets).toEqual([]);
    expectCleanFeed(check, resumed);
  }, 90_000);
});
