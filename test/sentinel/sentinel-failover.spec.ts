/**
 * Sentinel failover under load (RELIABILITY.md S1–S5), 1 master + 1 replica + 3 Sentinels (down-after 1000 ms).
 * Two stores write at once, each its own workflows: `plain` (REDIS_DURABILITY=none) and `confirmed`
 * (REDIS_DURABILITY=replica, every success confirmed by WAIT 1). Each writer retries an operation with the same
 * operation id until acknowledged, so the history check (H1–H3) counts lost and duplicated acknowledged writes.
 * - S1/S2/S3 kill -9 of the master: the service resumes on the promoted replica by itself within the failover time
 *   + 2 s; only StoreUnavailable / OutcomeUnknown (503) during the switch; `confirmed` loses no write it reported
 *   successful; the old master, restarted at once, gets no connection from the store before it is a replica.
 * - S4 planned SENTINEL FAILOVER: the same, the loss of `plain` reported (asynchronous replication).
 * - S5 min-replicas-to-write 1 with the replica gone: writes are 503 store-unavailable (NOREPLICAS), reads 200.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createWorkflowStore,
  loadWorkflowStoreConfig,
  OutcomeUnknownError,
  StoreUnavailableError,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import { ApiProcess } from '../support/api-process.js';
import { History, type FinalState } from '../support/history.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import type { RedisServer } from '../support/redis-server.js';
import { RedisSentinelSetup } from '../support/redis-sentinel.js';
import { timedFetch } from '../support/timed-fetch.js';

const WRITERS = 4;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let setup: RedisSentinelSetup;
const stores: ValidatingWorkflowStore[] = [];
/** Every load started, so a test that fails half-way still stops its writers (or they would loop for ever). */
const loads: Load[] = [];

beforeAll(async () => {
  setup = await RedisSentinelSetup.start();
}, 60_000);
// After each test, not at the end: a failed test's writers must not go on writing through the next test's failover.
afterEach(async () => {
  for (const load of loads.splice(0)) await load.stop();
  for (const store of stores.splice(0)) await store.close();
});
afterAll(async () => {
  await setup?.stop();
});

async function openStore(durability: 'none' | 'replica'): Promise<ValidatingWorkflowStore> {
  const store = createWorkflowStore(
    loadWorkflowStoreConfig({
      USE_REDIS: 'true',
      REDIS_SENTINELS: setup.sentinelList,
      REDIS_SENTINEL_NAME: setup.name,
      REDIS_DURABILITY: durability,
      REDIS_KEY_PREFIX: randomPrefix(),
      WORKFLOW_STATE_TTL: '600',
    }),
    quietLogger(),
  );
  await store.connect();
  stores.push(store);
  return store;
}

/** WRITERS clients advancing their own workflows through one store until stopped. */
class Load {
  readonly history = new History();
  readonly ids = Array.from({ length: WRITERS }, () => randomId('sent'));
  /** End times of acknowledged writes. */
  readonly oks: number[] = [];
  unknowns = 0;
  unavailable = 0;
  /** Anything but StoreUnavailable / OutcomeUnknown: must stay empty. */
  readonly unexpected: string[] = [];
  private stopped = false;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly store: ValidatingWorkflowStore,
  ) {}

  async start(): Promise<void> {
    loads.push(this);
    for (const id of this.ids) await this.store.create({ id, type: 'sentinel', state: {} });
    this.running = Promise.all(this.ids.map((id) => this.writer(id)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  firstOkAfter(t: number): number | undefined {
    return this.oks.find((end) => end > t);
  }

  /** Longest time without an acknowledged write, from the last one before `t` on: the pause the fault caused. */
  longestGapFrom(t: number): number {
    const sorted = [...this.oks].sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < sorted.length; i++) {
      if ((sorted[i] as number) > t) gap = Math.max(gap, (sorted[i] as number) - (sorted[i - 1] as number));
    }
    return gap;
  }

  /** H1–H3 against what the store (now on the current master) holds. */
  async check(): Promise<ReturnType<History['check']>> {
    const finals = new Map<string, FinalState>();
    for (const id of this.ids) {
      const wf = await this.store.get(id);
      finals.set(id, { version: wf?.version ?? 0, marks: new Set(Object.keys(wf?.state ?? {})) });
    }
    return this.history.check(finals, 1);
  }

  private async writer(id: string): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const op = `${id}.op${n}`;
      while (!this.stopped) {
        const start = Date.now();
        try {
          const wf = await this.store.update(id, { state: { [op]: true } }, { operationId: op });
          const end = Date.now();
          this.oks.push(end);
          this.history.write({ id, op, mark: op, outcome: 'ok', version: wf.version, start, end });
          break;
        } catch (error) {
          const unknown = error instanceof OutcomeUnknownError;
          if (unknown) this.unknowns += 1;
          else if (error instanceof StoreUnavailableError) this.unavailable += 1;
          else this.unexpected.push(`${(error as Error).name}: ${(error as Error).message}`);
          this.history.write({ id, op, mark: op, outcome: unknown ? 'unknown' : 'fail', start, end: Date.now() });
          await sleep(20); // then the same operation id again: applied at most once
        }
      }
    }
  }
}

/** Resolves when `until()` is true, polling every 50 ms; fails after `ms`. */
async function waitFor(what: string, until: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await until()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/**
 * Counts the store's connections (name workflow-store) on `node` until it is an in-sync replica: Sentinel converts
 * it (how long that takes is explained at `RedisSentinelSetup.sentinelView`), or after 40 s the test does, saying
 * what the Sentinels saw. Either way the store must not have connected to it while it called itself master.
 */
async function storeConnectionsUntilReplica(node: RedisServer): Promise<{ connections: number; convertedMs: number; by: string }> {
  let connections = 0;
  const count = async (): Promise<void> => {
    try {
      const clients = String(await node.command('CLIENT', 'LIST'));
      connections += clients.split('\n').filter((line) => line.includes('name=workflow-store')).length;
    } catch {
      // still starting
    }
  };
  const rejoined = await setup.rejoinAsReplica(node, { sentinelMs: 40_000, totalMs: 60_000, poll: count });
  if (rejoined.view) console.log(`S3: Sentinel did not convert :${node.port} within 40 s, made a replica by hand; Sentinels saw: ${rejoined.view}`);
  return { connections, convertedMs: rejoined.ms, by: rejoined.by };
}

/** A store of each durability mode under load, running for half a second before the fault. */
async function startLoads(): Promise<{ plain: Load; confirmed: Load }> {
  const plain = new Load('plain', await openStore('none'));
  const confirmed = new Load('confirmed', await openStore('replica'));
  await plain.start();
  await confirmed.start();
  await sleep(500);
  return { plain, confirmed };
}

function report(label: string, load: Load, summary: Awaited<ReturnType<Load['check']>>, from: number, failoverMs: number): string {
  return (
    `${label} ${load.name}: writes paused ${load.longestGapFrom(from)} ms (failover ${failoverMs} ms); ` +
    `${summary.acknowledged} acknowledged, lost ${summary.lost}, duplicates ${summary.duplicates}, ${load.unknowns} outcome-unknown, ${load.unavailable} unavailable`
  );
}

describe('Sentinel failover', () => {
  it('S1–S3: kill -9 of the master — resumes on the promoted replica by itself; replica durability loses no confirmed write; the restarted old master gets nothing', async () => {
    const { plain, confirmed } = await startLoads();

    const old = await setup.currentMaster();
    const killedAt = Date.now();
    await old.kill9();
    const promoted = await setup.waitForNewMaster(old, 15_000);
    const failoverMs = Date.now() - killedAt;
    await waitFor('plain store writing again', () => plain.firstOkAfter(killedAt) !== undefined, failoverMs + 5000);

    // S3: restart the old master at once; the store must not connect to it while it still calls itself master.
    await old.restart();
    const { connections, convertedMs, by } = await storeConnectionsUntilReplica(old);
    await waitFor('confirmed store writing again', () => confirmed.firstOkAfter(killedAt) !== undefined, 15_000);
    await sleep(500);
    await plain.stop();
    await confirmed.stop();

    const plainSummary = await plain.check();
    const confirmedSummary = await confirmed.check();
    console.log(`S1 kill -9 of :${old.port}, promoted :${promoted.port} after ${failoverMs} ms; the restarted old master a replica after ${convertedMs} ms (by ${by}); store connections seen on it before: ${connections}`);
    console.log(report('S1', plain, plainSummary, killedAt, failoverMs));
    console.log(report('S2', confirmed, confirmedSummary, killedAt, failoverMs));
    expect(plain.unexpected).toEqual([]);
    expect(confirmed.unexpected).toEqual([]);
    expect(plain.longestGapFrom(killedAt)).toBeLessThanOrEqual(failoverMs + 2000);
    expect(confirmedSummary.lost).toBe(0);
    expect(confirmedSummary.duplicates).toBe(0);
    expect(connections).toBe(0);
  }, 120_000);

  it('S4: planned SENTINEL FAILOVER — resumes by itself; replica durability loses no confirmed write; the loss of durability none is reported', async () => {
    await setup.waitUntilSettled(30_000);
    const { plain, confirmed } = await startLoads();

    const old = await setup.currentMaster();
    const startedAt = Date.now();
    await setup.askSentinel('SENTINEL', 'FAILOVER', setup.name);
    await setup.waitForNewMaster(old, 15_000);
    const failoverMs = Date.now() - startedAt;
    await setup.waitForReplica(old, 30_000);
    await waitFor('both stores writing after the switch', () => plain.firstOkAfter(startedAt + failoverMs) !== undefined && confirmed.firstOkAfter(startedAt + failoverMs) !== undefined, 15_000);
    await sleep(500);
    await plain.stop();
    await confirmed.stop();

    const plainSummary = await plain.check();
    const confirmedSummary = await confirmed.check();
    const switchAt = startedAt + failoverMs;
    console.log(report('S4', plain, plainSummary, startedAt, failoverMs));
    console.log(report('S4', confirmed, confirmedSummary, startedAt, failoverMs));
    console.log(`S4 first acknowledged write after the switch: plain ${(plain.firstOkAfter(switchAt) as number) - switchAt} ms, confirmed ${(confirmed.firstOkAfter(switchAt) as number) - switchAt} ms (it needs the old master back as a replica)`);
    expect(plain.unexpected).toEqual([]);
    expect(confirmed.unexpected).toEqual([]);
    expect(plain.longestGapFrom(startedAt)).toBeLessThanOrEqual(failoverMs + 2000);
    expect(confirmedSummary.lost).toBe(0);
    expect(confirmedSummary.duplicates).toBe(0);
  }, 90_000);

  it('S5: min-replicas-to-write 1 with the replica gone — writes 503 store-unavailable (NOREPLICAS), reads 200', async () => {
    await setup.waitUntilSettled(30_000);
    const api = await ApiProcess.start({
      USE_REDIS: 'true',
      REDIS_SENTINELS: setup.sentinelList,
      REDIS_SENTINEL_NAME: setup.name,
      REDIS_KEY_PREFIX: randomPrefix(),
    });
    try {
      const id = randomId('s5');
      const json = { 'content-type': 'application/json' };
      expect((await timedFetch(api.url, `/workflows/${id}`, { method: 'PUT', headers: json, body: '{"state":{"a":1}}' })).status).toBe(201);
      const master = await setup.currentMaster();
      const replica = setup.nodes.find((n) => n !== master) as RedisServer;
      await master.command('CONFIG', 'SET', 'min-replicas-to-write', '1');
      try {
        await replica.kill9();
        await waitFor('master sees no replica', async () => String(await master.command('INFO', 'replication')).includes('connected_slaves:0'), 5000);
        const write = await timedFetch(api.url, `/workflows/${id}`, { method: 'PUT', headers: json, body: '{"state":{"a":2}}' });
        const read = await timedFetch(api.url, `/workflows/${id}`);
        console.log(`S5: write ${write.status} ${String(write.problem)} in ${write.ms} ms; read ${read.status}`);
        expect(write.status).toBe(503);
        expect(write.problem).toBe('store-unavailable');
        expect(read.status).toBe(200);
        expect((read.body as { state: unknown }).state).toEqual({ a: 1 });
      } finally {
        await master.command('CONFIG', 'SET', 'min-replicas-to-write', '0');
      }
    } finally {
      await api.stop();
    }
  }, 60_000);
});
