/**
 * Change feed across a Redis crash: kill -9 of Redis (appendonly yes, appendfsync always) while writers write and a
 * watch follows, then a restart on the same port and dir (the AOF is the only copy).
 * Pass: after recovery every acknowledged write is in the feed exactly once (id + version), per workflow in write
 * order, and per workflow the feed holds exactly the versions 1..final, so every applied write (acknowledged or of
 * unknown outcome) has its one event and nothing else has one; event ids strictly increase. The watch went on by
 * itself across the outage (no reset, no error, no new watch): the reader reconnected and caught up. A new watch (a
 * fresh store, as another process would be) resuming after the last event seen before the kill yields exactly the
 * rest of the feed. History check H1–H3 of the writers, and no key without a TTL.
 * Writers and watcher are stores in this process (each its own connections), so the test needs no build.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore } from '#workflow-store';
import { History, type FinalState } from '../support/history.js';
import { keysWithoutTtl } from '../support/key-ttl.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { checkFeed, expectCleanFeed, FeedRecorder, KeyedWriters, resumeWatch, type FeedWrite } from './change-feed.js';

const WRITERS = 6;
const BEFORE_KILL_MS = 1500;
const OUTAGE_MS = 2000;
const AFTER_RESTART_MS = 2000;
/** How long the watch may take to deliver the last write once Redis is back and the writers have stopped. */
const CATCH_UP_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('change feed: kill -9 of Redis (AOF, fsync always) under writers, restart on the same port and dir', () => {
  let redis: RedisServer | undefined;
  const stores: ValidatingWorkflowStore[] = [];
  const recorders: FeedRecorder[] = [];
  let writers: KeyedWriters | undefined;
  afterAll(async () => {
    await writers?.stop();
    for (const recorder of recorders) await recorder.close();
    for (const store of stores) await store.close();
    await redis?.stop();
  });

  it('delivers every acknowledged write exactly once, in order; the watch resumes by itself; a resume after the last event before the kill yields the rest', async () => {
    redis = await RedisServer.start({ appendonly: true, args: ['--appendfsync', 'always'] });
    expect(await redis.command('CONFIG', 'GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    const prefix = randomPrefix();
    const open = async (): Promise<ValidatingWorkflowStore> => {
      const store = createWorkflowStore(
        loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: redis!.url, REDIS_KEY_PREFIX: prefix, WORKFLOW_STATE_TTL: '600', REDIS_PURGE_INTERVAL_MS: '0' }),
        quietLogger(),
      );
      stores.push(store);
      await store.connect();
      return store;
    };
    const writer = await open();
    const watcher = await open();
    const type = randomId('feedkill');
    const live = new FeedRecorder(await watcher.watch({ type }));
    recorders.push(live);

    const ids = Array.from({ length: WRITERS }, () => randomId('fk'));
    for (const id of ids) await writer.create({ id, type, state: {} });
    const history = new History();
    writers = new KeyedWriters(writer, { history, state: (op, n) => ({ [op]: n }) });
    writers.writes.push(...ids.map((id): FeedWrite => ({ id, outcome: 'ok', version: 1 })));
    writers.start(ids);

    await sleep(BEFORE_KILL_MS);
    const seenBeforeKill = live.events.length;
    const lastBeforeKill = live.events[seenBeforeKill - 1];
    const killedAt = Date.now();
    await redis.kill9();
    await sleep(OUTAGE_MS);
    await redis.restart();
    const upAt = Date.now();
    await sleep(AFTER_RESTART_MS);
    await writers.stop();

    // What Redis holds now, read through the writer (the final version of each workflow).
    const finals = new Map<string, number>();
    const finalStates = new Map<string, FinalState>();
    for (const id of ids) {
      const wf = await writer.get(id);
      if (!wf) throw new Error(`${id} is gone after the restart`);
      finals.set(id, wf.version);
      finalStates.set(id, { version: wf.version, marks: new Set(Object.keys(wf.state)) });
    }
    const caughtUp = await live.waitForFinals(finals, CATCH_UP_MS);
    await sleep(300); // anything delivered twice would arrive now
    const summary = history.check(finalStates, 1);
    const check = checkFeed(live.events, writers.writes, finals);
    const firstAfterRestart = live.arrivedAt.find((at) => at > upAt);

    // A new watch in a new process resuming after the last event seen before the kill: exactly the rest.
    const resumed = await resumeWatch(await open(), type, live, seenBeforeKill, recorders, CATCH_UP_MS);

    const client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    let untimed: string[];
    try {
      await client.connect();
      untimed = await keysWithoutTtl(client, prefix);
    } finally {
      client.disconnect();
    }

    const { oks, unknowns, unavailable } = writers;
    console.log(
      `feed across kill -9 (fsync always): ${writers.acknowledged} acknowledged writes (${oks.filter((o) => o.at > upAt).length} after the restart), ` +
        `${unknowns} outcome-unknown, ${unavailable} unavailable; feed ${live.events.length} events (${seenBeforeKill} before the kill), ` +
        `first event after the restart ${firstAfterRestart === undefined ? 'never' : `${firstAfterRestart - upAt} ms`} after Redis answered PING ` +
        `(killed ${upAt - killedAt} ms); history: lost ${summary.lost}, applied-unknown ${summary.appliedUnknown}, duplicates ${summary.duplicates}; ` +
        `resume after ${String(lastBeforeKill?.eventId)}: ${resumed.recorder.events.length} events (expected ${resumed.rest.length})`,
    );
    expect(writers.unexpected).toEqual([]);
    expect(seenBeforeKill).toBeGreaterThan(WRITERS);
    expect(lastBeforeKill).toBeDefined();
    expect(oks.filter((o) => o.at > upAt).length).toBeGreaterThan(WRITERS); // the writers did write after the restart
    expect(summary.violations).toEqual([]);
    expect(live.error).toBeUndefined();
    expect(live.ended).toBe(false);
    expect(live.resets).toEqual([]);
    expect(caughtUp).toBe(true);
    expect(firstAfterRestart).toBeDefined();
    expectCleanFeed(check, resumed);
    expect(untimed).toEqual([]);
  }, 60_000);
});
