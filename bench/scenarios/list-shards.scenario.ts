import type { ListQuery, ValidatingWorkflowStore } from '#workflow-store';
import { wants, type BenchConfig } from '../lib/bench-config.js';
import type { Comparison } from '../lib/comparison.js';
import { fillStore, RARE_FILTER, rareLabels, scatteredId } from '../lib/fill.js';
import { measure } from '../lib/measure.js';
import { PAGE, pageWalker, type WalkCounts } from '../lib/page-walker.js';
import { pairedRuns, type PairedResult } from '../lib/paired-runs.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { roundRatios } from '../lib/rotated-runs.js';
import { RunCosts } from '../lib/run-costs.js';
import { redisStore } from '../lib/store-factory.js';

const FEW = 16;
const MANY = 1024;
const SERVER_COMMANDS = ['zrangebylex', 'get'] as const;

interface Side {
  counts: WalkCounts;
  costs: RunCosts;
}

/** Index and record reads per page, Redis' time in them, Redis' and the client's CPU per page (a side's RunCosts). */
function perPage(side: Side): string {
  const pages = side.counts.pages;
  const per = (value: number): string => (value / pages).toFixed(1);
  const inCommands = SERVER_COMMANDS.reduce((sum, c) => sum + side.costs.usec(c), 0);
  return (
    `${per(side.costs.calls('zrangebylex'))} ZRANGEBYLEX + ${per(side.costs.calls('get'))} GET, ` +
    `${per(inCommands)} / ${side.costs.redisCpuPer(pages).toFixed(0)} / ${side.costs.clientCpuPer(pages).toFixed(0)} µs`
  );
}

/** The same walk over both stores, alternating; the ratio is time per page at 1024 shards ÷ at 16. */
async function walkFigure(
  config: BenchConfig,
  stores: { few: ValidatingWorkflowStore; many: ValidatingWorkflowStore },
  filter: Pick<ListQuery, 'type' | 'status'>,
  redis: RedisProcess,
): Promise<{ paired: PairedResult; ratio: number; note: string }> {
  const stats = redis.client();
  try {
    const side = (): Side => ({ counts: { pages: 0, items: 0 }, costs: new RunCosts(stats, SERVER_COMMANDS) });
    const few = side();
    const many = side();
    const run = (store: ValidatingWorkflowStore, s: Side) => () => s.costs.around(() => measure(pageWalker(store, filter, s.counts), config.listLoad));
    const paired = await pairedRuns(config.rounds, run(stores.many, many), run(stores.few, few));
    const ratio = paired.baseline.opsPerSec / paired.subject.opsPerSec;
    const note =
      `per page, warm-up included (µs: in those commands per commandstats / Redis main-thread CPU / client CPU): ` +
      `${FEW} shards ${perPage(few)}; ${MANY} shards ${perPage(many)}; ratio per round ${roundRatios(paired.baselineRuns, paired.subjectRuns)}`;
    return { paired, ratio, note };
  } finally {
    stats.disconnect();
  }
}

/**
 * list() pages of 100 over the same number of workflows stored with REDIS_SHARDS=16 and with REDIS_SHARDS=1024
 * (two prefixes in the same Redis, filled through store.save), unfiltered (group list-shards, target ≤ 1.5×) and
 * filtered by a type+status matching 1 % of the workflows (group list-filter-shards, reported: a sparse filter
 * spreads its matches over more shards, so a page reads more of them). The stores run no periodic sweep: with
 * 1024 shards it would send 1024 scripts a minute on the connection being measured, and nothing expires here.
 */
export async function listShardsScenario(
  config: BenchConfig,
  redis: RedisProcess,
  log: (line: string) => void,
): Promise<{ rows: Comparison[]; fill: Record<string, number> }> {
  const env = (shards: number): Record<string, string> => ({ REDIS_SHARDS: String(shards), REDIS_PURGE_INTERVAL_MS: '0' });
  const few = await redisStore(redis.url, `lsh${FEW}`, env(FEW));
  const many = await redisStore(redis.url, `lsh${MANY}`, env(MANY));
  const size = config.listShardsSize;
  const count = size.toLocaleString('en-US');
  try {
    const tiny = (n: number) => ({ n, stage: 'extract', pages: 3 });
    const fillOptions = { labels: rareLabels, idOf: scatteredId };
    log(`list-shards: writing ${count} workflows with REDIS_SHARDS=${FEW} through store.save`);
    const fewFillS = await fillStore(few, 'wf-', size, tiny, fillOptions);
    log(`list-shards: writing ${count} workflows with REDIS_SHARDS=${MANY} through store.save (${FEW} shards took ${fewFillS.toFixed(1)} s)`);
    const manyFillS = await fillStore(many, 'wf-', size, tiny, fillOptions);
    log(`list-shards: filled in ${manyFillS.toFixed(1)} s`);
    const fill = `fill through store.save: ${FEW} shards ${fewFillS.toFixed(1)} s (${Math.round(size / fewFillS)} writes/s), ${MANY} shards ${manyFillS.toFixed(1)} s (${Math.round(size / manyFillS)} writes/s)`;
    const rows: Comparison[] = [];
    const base = { size: 'small state', subjectLabel: `REDIS_SHARDS=${MANY}`, ratioMeaning: `time per page, ${MANY} shards ÷ ${FEW} shards` };
    if (wants(config, 'list-shards')) {
      log(`list-shards: page of ${PAGE}, ${FEW} vs ${MANY} shards`);
      const { paired, ratio, note } = await walkFigure(config, { few, many }, {}, redis);
      rows.push({
        ...base,
        group: 'list-shards',
        figure: `list page of ${PAGE}, ${MANY} vs ${FEW} shards`,
        baselineLabel: `REDIS_SHARDS=${FEW} (${count} workflows in each store)`,
        subject: paired.subject,
        baseline: paired.baseline,
        ratio,
        target: '≤ 1.5',
        pass: ratio <= 1.5,
        note: `${note}; ${fill}`,
      });
    }
    if (wants(config, 'list-filter-shards')) {
      log(`list-filter-shards: type=${RARE_FILTER.type} status=${RARE_FILTER.status} (1 %), ${FEW} vs ${MANY} shards`);
      const { paired, ratio, note } = await walkFigure(config, { few, many }, RARE_FILTER, redis);
      rows.push({
        ...base,
        group: 'list-filter-shards',
        figure: `filtered list page of ${PAGE} (type+status, 1 % match), ${MANY} vs ${FEW} shards`,
        baselineLabel: `REDIS_SHARDS=${FEW} (${(size / 100).toLocaleString('en-US')} matches in ${count} workflows)`,
        subject: paired.subject,
        baseline: paired.baseline,
        ratio,
        note,
      });
    }
    return { rows, fill: { fewFillSeconds: fewFillS, manyFillSeconds: manyFillS, workflowsPerStore: size } };
  } finally {
    await few.close();
    await many.close();
  }
}
