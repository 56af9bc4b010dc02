import type { BenchConfig } from '../lib/bench-config.js';
import type { Comparison } from '../lib/comparison.js';
import { fillStore } from '../lib/fill.js';
import { measure } from '../lib/measure.js';
import { PAGE, pageWalker } from '../lib/page-walker.js';
import { pairedRuns } from '../lib/paired-runs.js';
import { redisStore } from '../lib/store-factory.js';

/**
 * list() with a page of 100 over a small and a big store (separate key prefixes in the same Redis). The ratio is
 * the time per page in the big store ÷ the time per page in the small one; it must not grow with the store.
 */
export async function listScenario(config: BenchConfig, url: string, log: (line: string) => void): Promise<{ rows: Comparison[]; fill: Record<string, number> }> {
  const small = await redisStore(url, 'lists');
  const big = await redisStore(url, 'listb');
  try {
    const tiny = (n: number) => ({ n, stage: 'extract', pages: 3 });
    log(`list: writing ${config.listSmall} workflows`);
    const smallFillS = await fillStore(small, 'ls-', config.listSmall, tiny);
    log(`list: writing ${config.listBig} workflows through store.save`);
    const bigFillS = await fillStore(big, 'lb-', config.listBig, tiny);
    log(`list: filled ${config.listBig} in ${bigFillS.toFixed(1)} s`);
    const paired = await pairedRuns(
      config.rounds,
      () => measure(pageWalker(big), config.listLoad),
      () => measure(pageWalker(small), config.listLoad),
    );
    const ratio = paired.baseline.opsPerSec / paired.subject.opsPerSec;
    const row: Comparison = {
      group: 'list',
      figure: `list page of ${PAGE}`,
      size: 'small state',
      subjectLabel: `page with ${config.listBig.toLocaleString('en-US')} workflows stored`,
      baselineLabel: `page with ${config.listSmall.toLocaleString('en-US')} workflows stored`,
      subject: paired.subject,
      baseline: paired.baseline,
      ratio,
      ratioMeaning: 'time per page, big store ÷ small store',
      target: '≤ 1.5',
      pass: ratio <= 1.5,
      note: `fill: ${config.listBig.toLocaleString('en-US')} workflows in ${bigFillS.toFixed(1)} s through store.save (${Math.round(config.listBig / bigFillS)} writes/s)`,
    };
    return { rows: [row], fill: { smallFillSeconds: smallFillS, bigFillSeconds: bigFillS, bigCount: config.listBig } };
  } finally {
    await small.close();
    await big.close();
  }
}
