import { randomUUID } from 'node:crypto';
import type { BenchConfig } from '../lib/bench-config.js';
import { throughputComparison, type Comparison } from '../lib/comparison.js';
import { makeState } from '../lib/documents.js';
import { measure, type Measurement, type Operation } from '../lib/measure.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { rotatedRuns, roundRatios } from '../lib/rotated-runs.js';
import { redisStore } from '../lib/store-factory.js';
import { bareSet } from '../lib/bare-lease-baseline.js';

/** A lease long enough to outlive every run of the scenario, so no write or renewal meets an expired one. */
const LONG_LEASE_MS = 600_000;

/**
 * Leases on Redis, 64 in flight, each worker on its own workflow (36-character UUID ids), order rotated each round,
 * medians:
 * - the fencing check's cost: `store.save` of 1 KB carrying the token of the workflow's live lease vs the same save on
 *   workflows without a lease (target: at most 10 % slower, ratio ≥ 0.9);
 * - acquire + release (one lease cycle, two scripts) and renew, each against a bare `SET` round trip of the same
 *   client, the floor any one-round-trip Redis operation has on this machine.
 */
export async function leaseScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const store = await redisStore(redis.url, 'lease', { REDIS_PURGE_INTERVAL_MS: '0', LEASE_SWEEP_INTERVAL_MS: '0' });
  const baseline = bareSet(redis.url);
  try {
    const state = makeState(1024);
    const workers = config.redisLoad.concurrency;
    const ids = (): string[] => Array.from({ length: workers }, () => randomUUID());
    const [leasedIds, plainIds, cycleIds, renewIds] = [ids(), ids(), ids(), ids()];
    for (const id of [...leasedIds, ...plainIds, ...cycleIds, ...renewIds]) await store.save(id, { type: 'invoice', state });
    const tokens = new Map<string, number>();
    for (const id of [...leasedIds, ...renewIds]) tokens.set(id, (await store.acquireLease(id, { owner: 'bench', ttlMs: LONG_LEASE_MS })).token);
    const at = (list: string[], w: number): string => list[w] as string;
    const ops: Operation[] = [
      (w) => store.save(at(leasedIds, w), { type: 'invoice', state }, { leaseToken: tokens.get(at(leasedIds, w)) as number }),
      (w) => store.save(at(plainIds, w), { type: 'invoice', state }),
      async (w) => {
        const lease = await store.acquireLease(at(cycleIds, w), { owner: 'bench', ttlMs: 30_000 });
        await store.releaseLease(at(cycleIds, w), lease.token);
      },
      (w) => store.renewLease(at(renewIds, w), tokens.get(at(renewIds, w)) as number, LONG_LEASE_MS),
      (w) => baseline.set(w),
    ];
    log('leases: save 1 KB with the live lease token vs without a lease; acquire+release cycle; renew; bare SET');
    for (const op of ops) await measure(op, { ...config.redisLoad, durationMs: 500, warmupMs: 0 });
    const { medians, runs } = await rotatedRuns(config.rounds, ops.map((op) => () => measure(op, config.redisLoad)));
    const [fenced, plain, cycle, renew, set] = medians as [Measurement, Measurement, Measurement, Measurement, Measurement];
    const [fencedRuns, plainRuns] = runs as [Measurement[], Measurement[]];
    return [
      throughputComparison(
        {
          group: 'lease',
          figure: 'store.save with the live lease token vs without a lease (the fencing check)',
          size: '1 KB',
          subjectLabel: 'store.save({ leaseToken }) on a leased workflow',
          baselineLabel: 'store.save on a workflow without a lease',
          subject: fenced,
          baseline: plain,
          note: `ratio per round ${roundRatios(fencedRuns, plainRuns)}`,
        },
        0.9,
      ),
      throughputComparison(
        {
          group: 'lease',
          figure: 'acquireLease + releaseLease (one lease cycle, two scripts) vs a bare SET',
          size: '-',
          subjectLabel: 'acquire then release, ops/s = cycles/s',
          baselineLabel: 'SET of a 16-byte value (one round trip)',
          subject: cycle,
          baseline: set,
        },
        undefined,
      ),
      throughputComparison(
        {
          group: 'lease',
          figure: 'renewLease vs a bare SET',
          size: '-',
          subjectLabel: 'renewLease of a live lease',
          baselineLabel: 'SET of a 16-byte value (one round trip)',
          subject: renew,
          baseline: set,
        },
        undefined,
      ),
    ];
  } finally {
    await store.close();
    baseline.close();
  }
}
