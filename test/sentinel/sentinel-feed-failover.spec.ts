/**
 * The change feed across a Sentinel failover (1 master, 1 replica, 3 Sentinels, down-after 1000 ms) with
 * REDIS_DURABILITY=replica: writers update their own workflows (each success confirmed by WAIT 1; after a 503 the
 * same operation id again), another store watches. kill -9 of the master; the replica is promoted; the old master is
 * restarted at once so that Sentinel makes it the new replica (writes can be confirmed again).
 * Pass: every acknowledged write is in the feed exactly once, per workflow in write order; per workflow the feed holds
 * exactly the versions 1..final (no event of a write the failover lost, none twice); event ids strictly increase; the
 * watch went on by itself (no reset, no error); a new watch resuming after the last event seen before the kill
 * yields exactly the rest, read from the promoted replica.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore } from '#workflow-store';
import { checkFeed, expectCleanFeed, FeedRecorder, KeyedWriters, resumeWatch } from '../fault/change-feed.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisSentinelSetup } from '../support/redis-sentinel.js';

const WRITERS = 4;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let setup: RedisSentinelSetup | undefined;
const stores: ValidatingWorkflowStore[] = [];
const recorders: FeedRecorder[] = [];
let writers: KeyedWriters | undefined;

beforeAll(async () => {
  setup = await RedisSentinelSetup.start();
}, 60_000);
afterAll(async () => {
  await writers?.stop();
  for (const recorder of recorders) await recorder.close();
  for (const store of stores) await store.close();
  await setup?.stop();
});

describe('change feed across a Sentinel failover, REDIS_DURABILITY=replica', () => {
  it('delivers every acknowledged write exactly once, in order; the watch and a resume go on from the promoted replica', async () => {
    const sentinels = setup as RedisSentinelSetup;
    const prefix = randomPrefix();
    const open = async (): Promise<ValidatingWorkflowStore> => {
      const store = createWorkflowStore(
        loadWorkflowStoreConfig({
          USE_REDIS: 'true',
          REDIS_SENTINELS: sentinels.sentinelList,
          REDIS_SENTINEL_NAME: sentinels.name,
          REDIS_DURABILITY: 'replica',
          REDIS_KEY_PREFIX: prefix,
          WORKFLOW_STATE_TTL: '600',
          REDIS_PURGE_INTERVAL_MS: '0',
        }),
        quietLogger(),
      );
      stores.push(store);
      await store.connect();
      return store;
    };
    const writer = await open();
    const watcher = await open();
    const type = randomId('sfeed');
    const live = new FeedRecorder(await watcher.watch({ type }));
    recorders.push(live);

    const ids = Array.from({ length: WRITERS }, () => randomId('sf'));
    writers = new KeyedWriters(writer);
    await writers.create(ids, type);
    writers.start(ids);
    const { oks } = writers;

    await sleep(700);
    const seenBeforeKill = live.events.length;
    const lastBeforeKill = live.events[seenBeforeKill - 1];
    const old = await sentinels.currentMaster();
    const killedAt = Date.now();
    await old.kill9();
    const promoted = await sentinels.waitForNewMaster(old, 15_000);
    const failoverMs = Date.now() - killedAt;
    // Back as a replica of the promoted one (Sentinel converts it), so that WAIT 1 can confirm writes again.
    await old.restart();
    // Sentinel converts it (a Sentinel in TILT on a loaded machine waits 30 s); after 40 s the test does, as in S3.
    const rejoined = await sentinels.rejoinAsReplica(old, { sentinelMs: 40_000, totalMs: 60_000 });
    if (rejoined.view) console.log(`feed: Sentinel did not convert :${old.port} within 40 s, made a replica by hand; Sentinels saw: ${rejoined.view}`);
    const replicaAgainMs = Date.now() - killedAt;
    const deadline = Date.now() + 15_000;
    while (oks.filter((ok) => ok.at > killedAt + replicaAgainMs).length < 20 && Date.now() < deadline) await sleep(50);
    await writers.stop();

    const finals = await writers.finals();
    const caughtUp = await live.waitForFinals(finals, 15_000);
    await sleep(300);
    const check = checkFeed(live.events, writers.writes, finals);

    const resumed = await resumeWatch(await open(), type, live, seenBeforeKill, recorders, 10_000);

    console.log(
      `feed across Sentinel failover: :${old.port} killed, :${promoted.port} promoted after ${failoverMs} ms, old master a replica again after ${replicaAgainMs} ms; ` +
        `${writers.acknowledged} acknowledged writes (${oks.filter((ok) => ok.at > killedAt).length} after the kill), ${writers.unknowns} outcome-unknown, ${writers.unavailable} unavailable; ` +
        `feed ${live.events.length} events (${seenBeforeKill} before the kill); resume after ${String(lastBeforeKill?.eventId)}: ${resumed.recorder.events.length} events (expected ${resumed.rest.length})`,
    );
    expect(writers.unexpected).toEqual([]);
    expect(seenBeforeKill).toBeGreaterThan(WRITERS);
    expect(oks.filter((ok) => ok.at > killedAt + replicaAgainMs).length).toBeGreaterThanOrEqual(20);
    expect(caughtUp).toBe(true);
    expect(live.error).toBeUndefined();
    expect(live.resets).toEqual([]);
    expectCleanFeed(check, resumed);
  }, 150_000);
});
