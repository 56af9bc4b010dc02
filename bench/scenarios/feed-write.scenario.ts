import type { BenchConfig } from '../lib/bench-config.js';
import { throughputComparison, type Comparison } from '../lib/comparison.js';
import { makeState } from '../lib/documents.js';
import { measure, type Measurement, type Operation } from '../lib/measure.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { rotatedRuns, roundRatios } from '../lib/rotated-runs.js';
import { RunCosts } from '../lib/run-costs.js';
import { redisStore } from '../lib/store-factory.js';

/** Commands of the save script besides EVALSHA that the feed and the history add (Redis 7 counts them too). */
const INNER = ['xadd', 'xtrim', 'spublish', 'hset', 'get', 'getrange'] as const;
/** Unmeasured saves of each variant before any is measured (see idempotencySaveScenario: the write path's JIT). */
const WARM_UP_MS = 700;
const COSTS_LEGEND = 'µs per save: cmdstat_evalsha usec_per_call / Redis main-thread CPU / client CPU, and the commands inside the script';

interface Variant {
  label: string;
  prefix: string;
  env: Record<string, string>;
}

/** The four settings; the first is what a store runs with when nothing is set. */
const VARIANTS: readonly Variant[] = [
  { label: 'events + history on (defaults)', prefix: 'fwon', env: {} },
  { label: 'events + history off', prefix: 'fwoff', env: { EVENTS_RETENTION_SECONDS: '0', WORKFLOW_HISTORY_VERSIONS: '0' } },
  { label: 'events on, history off', prefix: 'fwev', env: { WORKFLOW_HISTORY_VERSIONS: '0' } },
  { label: 'events off, history on', prefix: 'fwhist', env: { EVENTS_RETENTION_SECONDS: '0' } },
];

function costs(label: string, c: RunCosts): string {
  const calls = c.calls('evalsha');
  const inner = INNER.filter((name) => c.calls(name) > 0)
    .map((name) => `${(c.calls(name) / calls).toFixed(1)} ${name.toUpperCase()}`)
    .join(' + ');
  return `${label} ${c.usecPerCall('evalsha').toFixed(1)} / ${c.redisCpuPer(calls).toFixed(1)} / ${c.clientCpuPer(calls).toFixed(1)} (${inner || 'none'})`;
}

/**
 * What the change feed and the history cost a write: `store.save` of a 1 KB state, 64 in flight (the save figure's
 * load), each worker rewriting its own workflow (so every measured save replaces a version: the history keeps it),
 * with four settings, one store each on the same Redis (own key prefixes, no periodic sweep), the order rotated every
 * round, `feedWriteRounds` rounds, medians. Nobody watches: this is the write path only (XADD, trim, SPUBLISH to
 * no subscriber; the kept version's GET and HSET). Beside each, Redis' time and CPU and the client's CPU per save.
 */
export async function feedWriteScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const stats = redis.client();
  const stores = await Promise.all(VARIANTS.map((v) => redisStore(redis.url, v.prefix, { REDIS_PURGE_INTERVAL_MS: '0', ...v.env })));
  try {
    const state = makeState(1024);
    const figures = stores.map((store, k) => {
      const op: Operation = (w) => store.save(`fw-${w}`, { type: 'invoice', state });
      return { op, costs: new RunCosts(stats, ['evalsha', ...INNER]), label: (VARIANTS[k] as Variant).label };
    });
    log('feed-write: save 1 KB with events and history on / off / events only / history only');
    for (const f of figures) await measure(f.op, { ...config.redisLoad, durationMs: WARM_UP_MS, warmupMs: 0 });
    const { medians, runs } = await rotatedRuns(
      config.feedWriteRounds,
      figures.map((f) => () => f.costs.around(() => measure(f.op, config.redisLoad))),
    );
    const [both, none, events, history] = medians as [Measurement, Measurement, Measurement, Measurement];
    const [bothRuns, noneRuns, eventsRuns, historyRuns] = runs as [Measurement[], Measurement[], Measurement[], Measurement[]];
    const costNote = `${COSTS_LEGEND}: ${figures.map((f) => costs(f.label, f.costs)).join('; ')}`;
    const row = (figure: string, subjectLabel: string, subject: Measurement, subjectRuns: Measurement[], minRatio: number | undefined, extra: string): Comparison =>
      throughputComparison(
        {
          group: 'feed-write',
          figure,
          size: '1 KB',
          subjectLabel,
          baselineLabel: 'store.save, EVENTS_RETENTION_SECONDS=0 and WORKFLOW_HISTORY_VERSIONS=0',
          subject,
          baseline: none,
          note: `ratio per round ${roundRatios(subjectRuns, noneRuns)}; ${extra}`,
        },
        minRatio,
      );
    return [
      row('store.save, events + history on vs off', 'store.save with the defaults (events kept a day, 10 versions)', both, bothRuns, 0.8, costNote),
      row('store.save, events on, history off vs off', 'store.save, WORKFLOW_HISTORY_VERSIONS=0', events, eventsRuns, undefined, 'the feed alone (XADD, XTRIM, PEXPIRE, SPUBLISH)'),
      row('store.save, history on, events off vs off', 'store.save, EVENTS_RETENTION_SECONDS=0', history, historyRuns, undefined, 'the history alone (GET of the whole record instead of its header, HSET, HDEL, HLEN, PEXPIREAT)'),
    ];
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    stats.disconnect();
  }
}
