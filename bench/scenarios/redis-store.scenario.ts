import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import { Redis } from 'ioredis';
import type { ValidatingWorkflowStore } from '#workflow-store';
import { bareCas, withBareCas } from '../lib/bare-cas.js';
import { wants, type BenchConfig } from '../lib/bench-config.js';
import { throughputComparison, type Comparison } from '../lib/comparison.js';
import { DOC_SIZES, makeState, type DocSize, type JsonDoc } from '../lib/documents.js';
import { measure, type Measurement } from '../lib/measure.js';
import { OpCosts, opCostsNote } from '../lib/op-costs.js';
import { pairedRuns } from '../lib/paired-runs.js';
import { medianOf } from '../lib/stats.js';
import { redisStore } from '../lib/store-factory.js';
import { WatchPool } from '../lib/watch-update.js';

const TTL_MS = 86_400_000;

/**
 * The store's Redis operations against raw ioredis doing the same work, and against @keyv/redis: get, update
 * with expectedVersion, save. 64 operations in flight, each worker on its own key.
 */
export async function redisStoreScenario(config: BenchConfig, url: string, log: (line: string) => void): Promise<Comparison[]> {
  const store = await redisStore(url, 'bench');
  const rawOn = withBareCas(new Redis(url, { enableAutoPipelining: true }));
  const rawOff = withBareCas(new Redis(url, { enableAutoPipelining: false }));
  const keyvStore = new KeyvRedis(url);
  const keyv = new Keyv<JsonDoc>({ store: keyvStore, namespace: 'kv' });
  // INFO for the figures' CPU per operation (OpCosts), on a connection of its own.
  const stats = new Redis(url);
  const rows: Comparison[] = [];
  try {
    for (const size of DOC_SIZES) {
      const state = makeState(size.bytes);
      const context: FigureContext = { config, size, state, store, stats, log };
      if (wants(config, 'get')) rows.push(...(await getFigures(context, rawOn, rawOff)));
      if (wants(config, 'update')) rows.push(...(await updateFigures(context, url, rawOff)));
      if (wants(config, 'save')) rows.push(await saveFigure(context, rawOff));
      if (wants(config, 'keyv')) rows.push(...(await keyvFigures(context, keyv)));
    }
  } finally {
    stats.disconnect();
    await store.close();
    rawOn.disconnect();
    rawOff.disconnect();
    await keyv.disconnect();
  }
  return rows;
}

/**
 * The client's GET with the socket corked from the first GET of a tick until its microtasks have run (one write
 * for all of them), as the store's reads do (libs/workflow-store/src/redis/tick-cork.ts).
 */
function corkedPerTick(client: Redis): Pick<Redis, 'get'> {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    client.stream.uncork();
  };
  return {
    get: (key: string) => {
      if (!corked) {
        corked = true;
        client.stream.cork();
        queueMicrotask(uncork);
      }
      return client.get(key);
    },
  } as Pick<Redis, 'get'>;
}

/** What every figure of this scenario works with. */
interface FigureContext {
  config: BenchConfig;
  size: DocSize;
  state: JsonDoc;
  store: ValidatingWorkflowStore;
  /** The connection INFO is read on, for OpCosts. */
  stats: Redis;
  log: (line: string) => void;
}

const workers = (config: BenchConfig): number[] => Array.from({ length: config.redisLoad.concurrency }, (_, w) => w);

async function getFigures({ config, size, state, store, stats, log }: FigureContext, rawOn: Redis, rawOff: Redis): Promise<Comparison[]> {
  const json = JSON.stringify(state);
  const id = (w: number): string => `g${size.tag}-${w}`;
  const rawKey = (w: number): string => `raw:g${size.tag}-${w}`;
  for (const w of workers(config)) {
    await store.save(id(w), { type: 'invoice', state });
    await rawOn.set(rawKey(w), json, 'PX', TTL_MS);
  }
  const rawGetParse = (client: Pick<Redis, 'get'>) => async (w: number): Promise<unknown> => {
    const text = await client.get(rawKey(w));
    if (text === null) throw new Error('missing');
    return JSON.parse(text);
  };
  log(`get ${size.label}`);
  const [storeCosts, onCosts, offCosts, corkedCosts] = [0, 1, 2, 3].map(() => new OpCosts(stats)) as [OpCosts, OpCosts, OpCosts, OpCosts];
  const paired = await pairedRuns(
    config.rounds,
    () => storeCosts.measure(async (w) => { if (!(await store.get(id(w)))) throw new Error('missing'); }, config.redisLoad),
    () => onCosts.measure(rawGetParse(rawOn), config.redisLoad),
  );
  // The store runs with auto-pipelining off (its production setting) and sends the GETs of a tick with one socket
  // write (tick-cork.ts); the raw baseline is measured with auto-pipelining on, off, and off with the same corking,
  // and the fastest is the baseline of the ratio.
  const offRuns: Measurement[] = [];
  const corkedRuns: Measurement[] = [];
  const asStoredRuns: Measurement[] = [];
  for (let r = 0; r < config.rounds; r++) {
    offRuns.push(await offCosts.measure(rawGetParse(rawOff), config.redisLoad));
    corkedRuns.push(await corkedCosts.measure(rawGetParse(corkedPerTick(rawOff)), config.redisLoad));
    asStoredRuns.push(await measure((w) => rawOff.get(rawKey(w)), config.redisLoad));
  }
  const candidates = [
    { label: 'ioredis GET + JSON.parse (auto-pipelining on)', m: paired.baseline, costs: onCosts },
    { label: 'ioredis GET + JSON.parse (auto-pipelining off)', m: medianOf(offRuns), costs: offCosts },
    { label: 'ioredis GET + JSON.parse (auto-pipelining off, socket corked per tick)', m: medianOf(corkedRuns), costs: corkedCosts },
  ];
  const asStored = medianOf(asStoredRuns);
  const { label: bestLabel, m: best, costs: bestCosts } = candidates.reduce((a, b) => (b.m.opsPerSec > a.m.opsPerSec ? b : a));
  return [
    throughputComparison(
      {
        group: 'get',
        figure: 'store.get',
        size: size.label,
        subjectLabel: 'store.get',
        baselineLabel: bestLabel,
        subject: paired.subject,
        baseline: best,
        note: `raw GET+parse auto-pipelining on ${Math.round(paired.baseline.opsPerSec)} ops/s, off ${Math.round(candidates[1]?.m.opsPerSec ?? 0)} ops/s, off and corked per tick ${Math.round(candidates[2]?.m.opsPerSec ?? 0)} ops/s; the fastest is the baseline; ${opCostsNote([['store', storeCosts], ['baseline', bestCosts]])}`,
      },
      0.85,
    ),
    throughputComparison(
      {
        group: 'get',
        figure: 'store.get vs GET without parse',
        size: size.label,
        subjectLabel: 'store.get',
        baselineLabel: 'ioredis GET, string not parsed (auto-pipelining off)',
        subject: paired.subject,
        baseline: asStored,
        note: 'for information: the store returns a parsed object, this baseline returns the JSON string',
      },
      undefined,
    ),
  ];
}

async function updateFigures(context: FigureContext, url: string, raw: ReturnType<typeof withBareCas>): Promise<Comparison[]> {
  const { config, size, state, store, stats, log } = context;
  const id = (w: number): string => `u${size.tag}-${w}`;
  const rawKey = (w: number): string => `raw:u${size.tag}-${w}`;
  const storeVersions: number[] = [];
  const rawVersions: number[] = [];
  const rawDocs: JsonDoc[] = [];
  for (const w of workers(config)) {
    storeVersions[w] = (await store.save(id(w), { type: 'invoice', state })).version;
    await raw.hset(rawKey(w), 'v', 1, 'd', JSON.stringify(state));
    rawVersions[w] = 1;
    rawDocs[w] = structuredClone(state);
  }
  let step = 0;
  const storeCosts = new OpCosts(stats);
  const casCosts = new OpCosts(stats);
  const storeUpdate = (): Promise<Measurement> =>
    storeCosts.measure(async (w) => {
      const next = await store.update(id(w), { state: { step: ++step } }, { expectedVersion: storeVersions[w] as number });
      storeVersions[w] = next.version;
    }, config.redisLoad);
  log(`update ${size.label}`);
  const paired = await pairedRuns(
    config.rounds,
    storeUpdate,
    () =>
      casCosts.measure(async (w) => {
        const doc = rawDocs[w] as JsonDoc;
        doc.step = ++step;
        rawVersions[w] = await bareCas(raw, rawKey(w), rawVersions[w] as number, JSON.stringify(doc), TTL_MS);
      }, config.redisLoad),
  );
  const watch = await watchFigure(context, url, storeUpdate, storeCosts);
  return [
    throughputComparison(
      {
        group: 'update',
        figure: 'store.update (expectedVersion)',
        size: size.label,
        subjectLabel: 'store.update: merge patch on the state it last wrote, CAS script (reads only when that state is not the stored one)',
        baselineLabel: 'bare Lua CAS (HGET v, HSET, PEXPIRE) of the whole JSON',
        ...paired,
        note: opCostsNote([['store', storeCosts], ['bare CAS', casCosts]]),
      },
      0.6,
    ),
    watch,
  ];
}

/** Connection pools tried for the WATCH loop (WATCH holds a connection per update); the faster is the baseline. */
const WATCH_POOLS = [16, 64];

/**
 * store.update against the WATCH / GET / merge / MULTI / SET / EXEC loop users write by hand (watch-update.ts), with
 * the same 64 updates in flight, on a pool of connections of each size in WATCH_POOLS.
 */
async function watchFigure({ config, size, state, stats, log }: FigureContext, url: string, storeUpdate: () => Promise<Measurement>, storeCosts: OpCosts): Promise<Comparison> {
  const key = (w: number): string => `raw:w${size.tag}-${w}`;
  const byPool: { size: number; paired: Awaited<ReturnType<typeof pairedRuns>>; costs: OpCosts }[] = [];
  let step = 0;
  for (const poolSize of WATCH_POOLS) {
    const pool = await WatchPool.open(url, poolSize);
    try {
      const versions: number[] = [];
      for (const w of workers(config)) {
        await pool.seed(key(w), state, TTL_MS);
        versions[w] = 1;
      }
      log(`update ${size.label} vs WATCH loop (${poolSize} connections)`);
      const costs = new OpCosts(stats);
      const watchUpdate = (): Promise<Measurement> =>
        costs.measure(async (w) => {
          versions[w] = await pool.update(key(w), { step: ++step }, versions[w] as number, TTL_MS);
        }, config.redisLoad);
      byPool.push({ size: poolSize, paired: await pairedRuns(config.rounds, storeUpdate, watchUpdate), costs });
    } finally {
      pool.close();
    }
  }
  const best = byPool.reduce((a, b) => (b.paired.baseline.opsPerSec / b.paired.subject.opsPerSec > a.paired.baseline.opsPerSec / a.paired.subject.opsPerSec ? b : a));
  const tried = byPool.map((p) => `${p.size} connections ${Math.round(p.paired.baseline.opsPerSec)} ops/s (store ${Math.round(p.paired.subject.opsPerSec)})`).join(', ');
  return throughputComparison(
    {
      group: 'update',
      figure: 'store.update vs WATCH loop',
      size: size.label,
      subjectLabel: 'store.update (expectedVersion)',
      baselineLabel: `WATCH, GET, merge in JS, MULTI/SET/EXEC (retried on a null EXEC), ${best.size} connections`,
      subject: best.paired.subject,
      baseline: best.paired.baseline,
      note: `64 updates in flight on both sides; the store on its one connection, the WATCH loop on a pool (WATCH is per connection, so each update holds one from WATCH to EXEC): ${tried}; the pool with the best ratio for the loop is the baseline; ${opCostsNote([['store (all its update runs)', storeCosts], ['WATCH loop', best.costs]])}`,
    },
    1.5,
  );
}

async function saveFigure({ config, size, state, store, stats, log }: FigureContext, raw: Redis): Promise<Comparison> {
  log(`save ${size.label}`);
  const storeCosts = new OpCosts(stats);
  const setCosts = new OpCosts(stats);
  const paired = await pairedRuns(
    config.rounds,
    () => storeCosts.measure((w) => store.save(`s${size.tag}-${w}`, { type: 'invoice', state }), config.redisLoad),
    () => setCosts.measure((w) => raw.set(`raw:s${size.tag}-${w}`, JSON.stringify(state), 'PX', TTL_MS), config.redisLoad),
  );
  return throughputComparison(
    {
      group: 'save',
      figure: 'store.save',
      size: size.label,
      subjectLabel: 'store.save (unconditional upsert)',
      baselineLabel: 'ioredis SET … PX of JSON.stringify(state)',
      ...paired,
      note: opCostsNote([['store', storeCosts], ['SET', setCosts]]),
    },
    undefined,
  );
}

async function keyvFigures({ config, size, state, store, stats, log }: FigureContext, keyv: Keyv<JsonDoc>): Promise<Comparison[]> {
  const id = (w: number): string => `k${size.tag}-${w}`;
  for (const w of workers(config)) {
    await store.save(id(w), { type: 'invoice', state });
    await keyv.set(id(w), state, TTL_MS);
  }
  log(`keyv get ${size.label}`);
  const [storeGetCosts, keyvGetCosts, storeSetCosts, keyvSetCosts] = [0, 1, 2, 3].map(() => new OpCosts(stats)) as [OpCosts, OpCosts, OpCosts, OpCosts];
  const get = await pairedRuns(
    config.rounds,
    () => storeGetCosts.measure(async (w) => { if (!(await store.get(id(w)))) throw new Error('missing'); }, config.redisLoad),
    () => keyvGetCosts.measure(async (w) => { if (!(await keyv.get(id(w)))) throw new Error('missing'); }, config.redisLoad),
  );
  log(`keyv set ${size.label}`);
  const set = await pairedRuns(
    config.rounds,
    () => storeSetCosts.measure((w) => store.save(id(w), { type: 'invoice', state }), config.redisLoad),
    () => keyvSetCosts.measure((w) => keyv.set(id(w), state, TTL_MS), config.redisLoad),
  );
  return [
    throughputComparison(
      {
        group: 'keyv',
        figure: 'get vs @keyv/redis',
        size: size.label,
        subjectLabel: 'store.get',
        baselineLabel: '@keyv/redis get',
        ...get,
        note: opCostsNote([['store', storeGetCosts], ['Keyv', keyvGetCosts]]),
      },
      1,
    ),
    throughputComparison(
      {
        group: 'keyv',
        figure: 'save vs @keyv/redis set',
        size: size.label,
        subjectLabel: 'store.save',
        baselineLabel: '@keyv/redis set (with TTL)',
        ...set,
        note: opCostsNote([['store', storeSetCosts], ['Keyv', keyvSetCosts]]),
      },
      1,
    ),
  ];
}
