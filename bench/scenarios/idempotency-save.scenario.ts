import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BenchConfig } from '../lib/bench-config.js';
import { throughputComparison, type Comparison } from '../lib/comparison.js';
import { makeState } from '../lib/documents.js';
import { measure, type Measurement, type Operation } from '../lib/measure.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { rotatedRuns, roundRatios } from '../lib/rotated-runs.js';
import { RunCosts } from '../lib/run-costs.js';
import { redisStore } from '../lib/store-factory.js';
import { v1Save } from '../lib/v1-save.js';

interface Figure {
  label: string;
  op: Operation;
  costs: RunCosts;
}

/** Commands Redis counts per script call besides EVALSHA itself (Redis 7 counts the script's own calls too). */
const INNER = ['get', 'set'] as const;

/** Redis' and the client's cost per call of a figure, and the GET and SET its script runs per call, from its RunCosts. */
function costs(f: Figure): string {
  const calls = f.costs.calls('evalsha');
  const us = (value: number): string => value.toFixed(1);
  const inner = INNER.map((c) => `${(f.costs.calls(c) / calls).toFixed(1)} ${c.toUpperCase()}`).join(' + ');
  return `${f.label} ${us(f.costs.usecPerCall('evalsha'))} / ${us(f.costs.redisCpuPer(calls))} / ${us(f.costs.clientCpuPer(calls))} (${inner})`;
}

/** Unmeasured saves of each figure before the first measured one (see idempotencySaveScenario). */
const WARM_UP_MS = 700;

const COSTS_LEGEND = 'µs per call: cmdstat_evalsha usec_per_call / Redis main-thread CPU / client CPU (commands inside the script)';

/**
 * What remembering an idempotency key costs a 1 KB save: `store.save` with a fresh key per write, the same without a
 * key, and the v1 save script with a fresh operation id (its per-workflow log of the last 32), 64 in flight, each
 * worker on its own workflow (36-character UUID ids), order rotated each round, medians. Beside each: Redis' time
 * per script call (INFO commandstats delta of EVALSHA around that figure's runs; the stores here run no periodic
 * sweep, so every EVALSHA in a window is the figure's), and Redis' and the client's CPU per call.
 */
export async function idempotencySaveScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const store = await redisStore(redis.url, 'idem', { REDIS_PURGE_INTERVAL_MS: '0' });
  // The store's own client runs with auto-pipelining off; so does this one.
  const v1Client = new Redis(redis.url, { enableAutoPipelining: false });
  const stats = redis.client();
  try {
    const state = makeState(1024);
    const json = JSON.stringify(state);
    const v1 = v1Save(v1Client, 'idemv1');
    const ids = (): string[] => Array.from({ length: config.redisLoad.concurrency }, () => randomUUID());
    const [keyedIds, plainIds, v1Ids] = [ids(), ids(), ids()];
    const figure = (label: string, op: Operation): Figure => ({ label, op, costs: new RunCosts(stats, ['evalsha', ...INNER]) });
    const figures = [
      figure('with key', (w) => store.save(keyedIds[w] as string, { type: 'invoice', state }, { operationId: randomUUID() })),
      figure('without', (w) => store.save(plainIds[w] as string, { type: 'invoice', state })),
      figure('v1', (w) => v1.save(v1Ids[w] as string, { type: 'invoice', status: '' }, json, randomUUID())),
    ] as const;
    log('save 1 KB: with an idempotency key, without, v1 script with an operation id');
    // Each figure for WARM_UP_MS, unmeasured, before any is measured. In a fresh process the store's write path
    // takes about a second of saves to be compiled (client CPU per save 290 µs in the first 300 ms, 35 µs after
    // 1.5 s), and measure()'s own warm-up (100 ms with --quick) leaves most of that to the first figure measured.
    for (const f of figures) await measure(f.op, { ...config.redisLoad, durationMs: WARM_UP_MS, warmupMs: 0 });
    const { medians, runs } = await rotatedRuns(
      config.rounds,
      figures.map((f) => () => f.costs.around(() => measure(f.op, config.redisLoad))),
    );
    const [keyed, plain, v1m] = medians as [Measurement, Measurement, Measurement];
    const [keyedRuns, plainRuns, v1Runs] = runs as [Measurement[], Measurement[], Measurement[]];
    const [fKeyed, fPlain, fV1] = figures;
    return [
      throughputComparison(
        {
          group: 'save-idempotency',
          figure: 'store.save with Idempotency key vs without',
          size: '1 KB',
          subjectLabel: 'store.save, a fresh 36-char key per write',
          baselineLabel: 'store.save without a key',
          subject: keyed,
          baseline: plain,
          note: `${COSTS_LEGEND}: ${costs(fKeyed)}; ${costs(fPlain)}; ratio per round ${roundRatios(keyedRuns, plainRuns)}`,
        },
        undefined,
      ),
      throughputComparison(
        {
          group: 'save-idempotency',
          figure: 'store.save with Idempotency key vs v1 save script with operation id',
          size: '1 KB',
          subjectLabel: 'store.save, a fresh 36-char key per write',
          baselineLabel: 'v1 save-5.lua via defineCommand, a fresh 36-char operation id per write (log of the last 32)',
          subject: keyed,
          baseline: v1m,
          note:
            `${COSTS_LEGEND}: ${costs(fKeyed)}; ${costs(fV1)} (the bare script call: no validation, no fingerprint); ` +
            `ratio per round ${roundRatios(keyedRuns, v1Runs)}`,
        },
        undefined,
      ),
    ];
  } finally {
    await store.close();
    v1Client.disconnect();
    stats.disconnect();
  }
}
