/**
 * On a 3-master Redis Cluster: 10 000 workflows spread over all masters (each 20–47 %) and `list` returns each
 * exactly once; then a live slot migration (`redis-cli --cluster reshard` of 2 000 slots, which moves at least one
 * shard's hash tag) under a read/write load: no CROSSSLOT, MOVED or ASK error reaches the caller and no
 * acknowledged write is lost (history check H1–H4).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  OutcomeUnknownError,
  StoreUnavailableError,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import { slotOfWorkflow } from '../support/redis-layout.js';
import { History, type FinalState } from '../support/history.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { inParallel } from '../support/in-parallel.js';

const WORKFLOWS = 10_000;
const WRITERS = 8;

let cluster: RedisCluster;
let store: ValidatingWorkflowStore;
const prefix = randomPrefix();

beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3 });
  store = await cluster.openStore(prefix);
}, 60_000);
afterAll(async () => {
  await store?.close();
  await cluster?.stop();
});


/** Record keys (`<prefix>:{tag}:w:<id>`) held by one node, counted with SCAN on that node. */
async function recordKeysOn(server: RedisCluster['servers'][number]): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = (await server.command('SCAN', cursor, 'MATCH', `${prefix}:*:w:*`, 'COUNT', 1000)) as [string, string[]];
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

describe('Redis Cluster: spread and resharding', () => {
  it(`spreads ${WORKFLOWS} workflows over all 3 masters (20–47 % each) and lists each exactly once`, async () => {
    const ids = Array.from({ length: WORKFLOWS }, (_, i) => `spread-${i.toString().padStart(5, '0')}`);
    await inParallel(WORKFLOWS, 64, async (i) => {
      await store.create({ id: ids[i] as string, type: 'spread', state: { i } });
    });

    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const split = await Promise.all(masters.map(async (m) => ({ port: m.server.port, slots: m.slots, workflows: await recordKeysOn(m.server) })));
    console.log(
      `split of ${WORKFLOWS} workflows over the masters: ` +
        split.map((s) => `:${s.port} (slots ${s.slots.map(([a, b]) => `${a}-${b}`).join(',')}) ${s.workflows} = ${((100 * s.workflows) / WORKFLOWS).toFixed(1)} %`).join('; '),
    );
    expect(split.reduce((sum, s) => sum + s.workflows, 0)).toBe(WORKFLOWS);
    for (const s of split) {
      expect(s.workflows / WORKFLOWS).toBeGreaterThanOrEqual(0.2);
      expect(s.workflows / WORKFLOWS).toBeLessThanOrEqual(0.47);
    }

    const seen = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await store.list({ type: 'spread', limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const wf of page.items) seen.set(wf.id, (seen.get(wf.id) ?? 0) + 1);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.size).toBe(WORKFLOWS);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(ids.every((id) => seen.has(id))).toBe(true);
  }, 120_000);

  it('follows a live reshard of 2 000 slots under load: no CROSSSLOT/MOVED/ASK reaches the caller, no acknowledged write lost', async () => {
    // Half the writers' workflows in shards whose hash tag is among the migrated slots (< 2000), half elsewhere.
    const migrates = (id: string): boolean => slotOfWorkflow(prefix, id) < 2000;
    const ids: string[] = [];
    while (ids.length < WRITERS) {
      const id = randomId('reshard');
      if (migrates(id) === ids.length < WRITERS / 2) ids.push(id);
    }
    for (const id of ids) await store.create({ id, type: 'reshard', state: {} });
    const history = new History();
    const errors: string[] = [];
    let unknowns = 0;
    let writes = 0;
    let reads = 0;
    let stop = false;

    const writer = async (id: string): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const op = `${id}.op${n}`;
        for (;;) {
          const start = Date.now();
          try {
            const wf = await store.update(id, { state: { [op]: true } }, { operationId: op });
            writes += 1;
            history.write({ id, op, mark: op, outcome: 'ok', version: wf.version, start, end: Date.now() });
            break;
          } catch (error) {
            errors.push(`${(error as Error).name}: ${(error as Error).message}`);
            const unknown = error instanceof OutcomeUnknownError;
            if (unknown) unknowns += 1;
            history.write({ id, op, mark: op, outcome: unknown ? 'unknown' : 'fail', start, end: Date.now() });
            if (!(error instanceof StoreUnavailableError) && !unknown) throw error;
            await new Promise((r) => setTimeout(r, 20)); // retried with the same operation id: applied at most once
          }
        }
        const start = Date.now();
        try {
          const read = await store.get(id);
          reads += 1;
          history.read({ id, version: read?.version ?? null, start, end: Date.now() });
        } catch (error) {
          errors.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
    };

    // Move the first 2 000 slots of the master serving slot 0: they hold shard 0's hash tag (slot < 1024), and
    // whatever those writers' workflows live on moves with it.
    const masters = await cluster.masters();
    const source = masters.find((m) => m.slots.some(([a]) => a === 0)) ?? (masters[0] as (typeof masters)[number]);
    const target = masters.find((m) => m !== source) as (typeof masters)[number];
    const load = Promise.all(ids.map((id) => writer(id)));
    let reshardMs: number;
    try {
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      await cluster.reshard(source.id, target.id, 2000);
      reshardMs = Date.now() - started;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      stop = true; // also when the reshard failed: the writers would otherwise loop for ever (on a closed store too)
      await load;
    }

    const after = await cluster.masters();
    const movedSlots = after.find((m) => m.id === target.id)?.slots.reduce((n, [a, b]) => n + b - a + 1, 0);
    const finals = new Map<string, FinalState>();
    for (const id of ids) {
      const wf = await store.get(id);
      if (!wf) throw new Error(`${id} is gone`);
      finals.set(id, { version: wf.version, marks: new Set(Object.keys(wf.state)) });
    }
    const summary = history.check(finals, 1);
    console.log(
      `reshard of 2000 slots (:${source.server.port} → :${target.server.port}, now ${String(movedSlots)} slots) took ${reshardMs} ms under load: ` +
        `${writes} acknowledged writes, ${reads} reads, ${unknowns} outcome-unknown, ${errors.length} errors; lost ${summary.lost}, duplicates ${summary.duplicates} (${ids.filter(migrates).length} of the ${ids.length} workflows in migrated slots)`,
    );
    expect(errors.filter((e) => /CROSSSLOT|MOVED|ASK/.test(e))).toEqual([]);
    expect(summary.violations).toEqual([]);
    expect(summary.lost).toBe(0);
    expect(summary.duplicates).toBe(0);
    expect(writes).toBeGreaterThan(100);
  }, 180_000);
});
