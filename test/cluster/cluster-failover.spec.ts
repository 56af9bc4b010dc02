/**
 * C4: a 3-master cluster with one replica each; kill -9 of a master under load: its replica is promoted and the
 * store writes again by itself (no restart), only StoreUnavailable / OutcomeUnknown meanwhile; acknowledged writes
 * lost (asynchronous replication) are reported. And a boot against an unreachable cluster fails with the real cause.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  OutcomeUnknownError,
  StoreUnavailableError,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import { slotOfWorkflow } from '../support/redis-layout.js';
import { ApiProcess } from '../support/api-process.js';
import { freePort } from '../support/free-port.js';
import { logTimes } from '../support/log-times.js';
import { History, type FinalState } from '../support/history.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisCluster, type ClusterNodeInfo } from '../support/redis-cluster.js';

const WRITERS = 8;
const prefix = randomPrefix();

function ownerOf(id: string, masters: ClusterNodeInfo[]): ClusterNodeInfo | undefined {
  const slot = slotOfWorkflow(prefix, id);
  return masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b));
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: RedisCluster;
let store: ValidatingWorkflowStore;

beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
  store = await cluster.openStore(prefix);
}, 60_000);
afterAll(async () => {
  await store?.close();
  await cluster?.stop();
});

describe('Redis Cluster failover', () => {
  it('C4: kill -9 of a master with a replica — the replica takes over and writes resume without a restart', async () => {
    const firstMasters = await cluster.masters();
    const ids: string[] = [];
    while (ids.length < WRITERS) {
      const id = randomId('c4');
      if ((ownerOf(id, firstMasters) === firstMasters[0]) === ids.length < WRITERS / 2) ids.push(id);
    }
    for (const id of ids) await store.create({ id, type: 'c4', state: {} });
    const history = new History();
    const oks: { id: string; at: number }[] = [];
    const unexpected: string[] = [];
    let unknowns = 0;
    let unavailable = 0;
    let stop = false;
    const writer = async (id: string): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const op = `${id}.op${n}`;
        while (!stop) {
          const start = Date.now();
          try {
            const wf = await store.update(id, { state: { [op]: true } }, { operationId: op });
            oks.push({ id, at: Date.now() });
            history.write({ id, op, mark: op, outcome: 'ok', version: wf.version, start, end: Date.now() });
            break;
          } catch (error) {
            const unknown = error instanceof OutcomeUnknownError;
            if (unknown) unknowns += 1;
            else if (error instanceof StoreUnavailableError) unavailable += 1;
            else unexpected.push(`${(error as Error).name}: ${(error as Error).message}`);
            history.write({ id, op, mark: op, outcome: unknown ? 'unknown' : 'fail', start, end: Date.now() });
            await sleep(20);
          }
        }
      }
    };
    const masters = await cluster.masters();
    const victim = masters[0] as ClusterNodeInfo;
    const onVictim = new Set(ids.filter((id) => ownerOf(id, masters) === victim));
    const load = Promise.all(ids.map((id) => writer(id)));
    await sleep(500);
    const killedAt = Date.now();
    let promotedAt = 0;
    const writingAgain = (): boolean => new Set(oks.filter((ok) => ok.at > promotedAt).map((ok) => ok.id)).size === WRITERS;
    try {
      await victim.server.kill9();
      await cluster.waitUntilOk(20_000).catch(() => undefined); // the dead node stays listed; 'ok' on the others is what counts
      while (!promotedAt && Date.now() - killedAt < 20_000) {
        const now = await cluster.masters().catch(() => [] as ClusterNodeInfo[]);
        if (now.length === 3 && !now.some((m) => m.id === victim.id)) promotedAt = Date.now();
        else await sleep(50);
      }
      expect(promotedAt).toBeGreaterThan(0);
      while (!writingAgain() && Date.now() - promotedAt < 10_000) await sleep(50);
      await sleep(500);
    } finally {
      stop = true; // also when an expectation above failed: the writers would otherwise loop for ever
      await load;
    }

    const finals = new Map<string, FinalState>();
    for (const id of ids) {
      const wf = await store.get(id);
      finals.set(id, { version: wf?.version ?? 0, marks: new Set(Object.keys(wf?.state ?? {})) });
    }
    const summary = history.check(finals, 1);
    // Longest pause of any one workflow on the dead master's slots (the others never stop).
    let gap = 0;
    for (const id of onVictim) {
      const times = oks.filter((ok) => ok.id === id).map((ok) => ok.at);
      for (let i = 1; i < times.length; i++) if ((times[i] as number) > killedAt) gap = Math.max(gap, (times[i] as number) - (times[i - 1] as number));
    }
    console.log(
      `C4: replica promoted ${promotedAt - killedAt} ms after the kill; longest pause of a workflow on its slots ${gap} ms (${onVictim.size} of ${WRITERS}); ` +
        `${summary.acknowledged} acknowledged, lost ${summary.lost}, duplicates ${summary.duplicates}, ${unknowns} outcome-unknown, ${unavailable} unavailable`,
    );
    expect(unexpected).toEqual([]);
    expect(onVictim.size).toBeGreaterThan(0);
    expect(writingAgain()).toBe(true);
    expect(gap).toBeLessThanOrEqual(promotedAt - killedAt + 2000);
    expect(summary.duplicates).toBe(0);
  }, 90_000);

  it('a boot against an unreachable cluster exits 1 with the real cause', async () => {
    const run = await ApiProcess.runToExit({ USE_REDIS: 'true', REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()}`, REDIS_CONNECT_TIMEOUT_MS: '1000' });
    console.log(`boot against no cluster: exit ${String(run.code)} after ${run.ms} ms`);
    expect(run.code).toBe(1);
    expect(run.output).toContain('ECONNREFUSED');
    // Fast: from its first log line to the fatal one, the connect timeout plus the seed probe (and a margin), not a
    // retry loop. Node's start-up, seconds on a loaded machine, is outside that span; the whole run only has to end.
    const times = logTimes(run.output);
    expect(times.length).toBeGreaterThan(1);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(1000 + 1000 + 1000);
    expect(run.ms).toBeLessThan(15_000);
  }, 30_000);
});
