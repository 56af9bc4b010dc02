import {
  describeRedisTarget,
  formatUpgradeCounts,
  InvalidConfigError,
  processedOf,
  StoreUnavailableError,
  upgradeStorage,
  UpgradeRefusedError,
  type UpgradeFailure,
  type UpgradeSummary,
  type WorkflowStoreOptions,
} from '#workflow-store';
import { CliError, EXIT_FAILED, EXIT_OK } from './cli-error.js';
import { costOf, type CliOutput } from './io/cli-output.js';
import { cliLogger, loadCliConfig } from './io/open-store.js';
import { startProgress } from './io/progress.js';

/** Failed workflows printed one by one; beyond this only their number is given. */
const MAX_FAILURES_SHOWN = 50;

export interface UpgradeRun {
  /** Laid over the environment: REDIS_SHARDS from --shards, USE_REDIS/REDIS_URL from --redis-url. */
  overrides: Record<string, string>;
  targetPrefix?: string;
  dryRun: boolean;
  output: CliOutput;
}

/** Runs `workflow-store upgrade`: progress on stderr, each failed workflow, one summary line; returns the exit code. */
export async function runUpgrade(run: UpgradeRun): Promise<number> {
  const { output } = run;
  const config = upgradeConfig(run.overrides);
  const where = `prefix "${config.redis.keyPrefix}" on ${describeRedisTarget(config.redis)}`;
  if (run.targetPrefix === config.redis.keyPrefix) {
    throw new CliError(`--to-prefix ${run.targetPrefix} is the prefix being upgraded; leave it out to upgrade in place`);
  }
  const startedAt = performance.now();
  const progress = startProgress(run.dryRun ? 'upgrade (dry run)' : 'upgrade');
  let shown = 0;
  let summary: UpgradeSummary;
  try {
    summary = await upgradeStorage(
      config,
      { targetShards: config.redis.shards, targetPrefix: run.targetPrefix, dryRun: run.dryRun },
      {
        logger: cliLogger(output),
        onPlan: (plan) =>
          output.message(
            `upgrade: ${plan.tenants.length} tenants to move (${plan.total} workflows indexed), ${plan.alreadyCurrent} already current` +
              (run.dryRun ? '; dry run, nothing will be written' : ''),
          ),
        onProgress: (done, total, totals) => progress.update(done, total, `moved ${totals.moved} failed ${totals.failed}`),
        onFailure: (failure: UpgradeFailure) => {
          shown += 1;
          if (shown <= MAX_FAILURES_SHOWN) output.message(`tenant ${failure.tenant}, ${failure.id}: ${failure.reason}`);
        },
      },
    );
  } catch (error) {
    // Nothing was written: the data cannot be upgraded as asked, or Redis could not be reached.
    if (error instanceof UpgradeRefusedError || error instanceof StoreUnavailableError || error instanceof InvalidConfigError) {
      throw new CliError(`cannot upgrade ${where}: ${error.message}`);
    }
    throw error;
  } finally {
    progress.stop();
  }
  if (shown > MAX_FAILURES_SHOWN) output.message(`… and ${shown - MAX_FAILURES_SHOWN} more failed workflows`);
  const unfinished = summary.tenants.filter((t) => !t.finished).map((t) => t.tenant);
  if (summary.stoppedBy) output.message(`error: stopped early, Redis failed: ${summary.stoppedBy.message}; re-running is safe and continues`);
  else if (!run.dryRun && unfinished.length > 0) {
    output.message(
      `error: tenants ${unfinished.join(', ')} keep their failed workflows in the old layout and stay refused by the service; ` +
        'fix the cause and re-run',
    );
  }
  output.summary(summaryLine(summary, where, run, startedAt));
  return summary.stoppedBy || (!run.dryRun && unfinished.length > 0) || summary.totals.failed > 0 ? EXIT_FAILED : EXIT_OK;
}

/** The store configuration from the environment, which must name Redis. */
function upgradeConfig(overrides: Record<string, string>): WorkflowStoreOptions {
  const config = loadCliConfig(overrides);
  if (config.backend !== 'redis') throw new CliError('upgrade works on Redis data: set USE_REDIS=true and REDIS_URL, or pass --redis-url');
  return config;
}

/**
 * `upgrade: prefix "wfs" on redis://…, 3 tenants to v2/64: moved 120, …, failed 0 [default v1 → v2/64: moved 40, …];
 * 1 tenant already v2/64; 52 leftover keys removed; v1 idempotency logs not carried (1.2 s, …)`.
 */
function summaryLine(summary: UpgradeSummary, where: string, run: UpgradeRun, startedAt: number): string {
  const tenants = summary.tenants.map((t) => `${t.tenant} ${t.from.join(' + ')} → ${t.to}: ${formatUpgradeCounts(t.counts)}`);
  const parts = [
    `upgrade${run.dryRun ? ' (dry run, nothing written)' : ''}: ${where}, ${summary.tenants.length} tenants to move: ` +
      formatUpgradeCounts(summary.totals) +
      (tenants.length > 0 ? ` [${tenants.join('; ')}]` : ''),
    `${summary.alreadyCurrent} tenants already current`,
    run.dryRun
      ? 'leftover keys not counted in a dry run'
      : `${summary.leftoverKeysRemoved} leftover keys removed, ${summary.idempotencyKeysCarried} idempotency keys carried, ` +
        'v1 idempotency logs not carried',
  ];
  if (run.targetPrefix !== undefined) parts.push(`source left as it was`);
  return `${parts.join('; ')} (${costOf(startedAt, processedOf(summary.totals))})`;
}
