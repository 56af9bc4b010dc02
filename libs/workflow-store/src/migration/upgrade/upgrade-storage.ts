import type { WorkflowStoreOptions } from '../../config/workflow-store.options.js';
import { RedisKeys } from '../../redis/redis-keys.js';
import type { StoreLogger } from '../../shared/store-logger.js';
import { markFinished, markInProgress } from './format-marker.js';
import { KeyNames } from './key-names.js';
import { moveLayout } from './move-layout.js';
import { MoveStep, type UpgradeFailure } from './move-step.js';
import { otherStoreConnections } from './other-connections.js';
import { moveV1Segment } from './move-v1.js';
import { sweepLeftovers, type SweptTenant } from './sweep-leftovers.js';
import { UpgradeConnections } from './upgrade-connections.js';
import { planUpgrade, type TenantPlan, type UpgradePlan } from './upgrade-plan.js';
import { addCounts, emptyCounts, processedOf, type UpgradeCounts, type UpgradeSummary } from './upgrade-summary.js';
import { V1Source } from './v1-source.js';

export interface UpgradeRequest {
  /** The shard count every tenant ends up with. */
  targetShards: number;
  /** Copy into this prefix, leaving the source as it is; unset: upgrade in place (the source keys are removed). */
  targetPrefix?: string;
  /** Read and report, write nothing. */
  dryRun: boolean;
}

export interface UpgradeHooks {
  logger: StoreLogger;
  /** Once the plan is known (nothing written yet). */
  onPlan?: (plan: UpgradePlan) => void;
  /** After each page of workflows, with the totals so far. */
  onProgress?: (done: number, total: number, totals: UpgradeCounts) => void;
  onFailure?: (failure: UpgradeFailure) => void;
}

/**
 * `workflow-store upgrade`: moves every tenant under `options.redis.keyPrefix` to storage format v2 with
 * `request.targetShards` shards — v1 data, v2 data of another shard count, a move left unfinished. Per tenant:
 * mark its format record (services refuse it from then on), move its workflows, sweep what is left of the old
 * layouts, and record the target layout — only if nothing failed, so a tenant with a failure stays refused and
 * a re-run retries it. Every step is idempotent: a run killed at any point and re-run ends with the same data.
 * Throws `UpgradeRefusedError` (before writing anything) when the data cannot be upgraded as asked.
 */
export async function upgradeStorage(options: WorkflowStoreOptions, request: UpgradeRequest, hooks: UpgradeHooks): Promise<UpgradeSummary> {
  const sourcePrefix = options.redis.keyPrefix;
  const targetPrefix = request.targetPrefix ?? sourcePrefix;
  const inPlace = targetPrefix === sourcePrefix;
  const connections = await UpgradeConnections.open(options, hooks.logger);
  const { client } = connections;
  try {
    const others = await otherStoreConnections(client);
    if (others) {
      hooks.logger.warn(
        `${others} other connections named workflow-store are open on this Redis: stop the service (every replica) before upgrading, ` +
          'a running one keeps writing the layout being moved out',
      );
    }
    const names = new KeyNames(sourcePrefix);
    const plan = await planUpgrade(client, names, { sourcePrefix, targetPrefix, targetShards: request.targetShards });
    hooks.onPlan?.(plan);
    const summary: UpgradeSummary = {
      tenants: [],
      totals: emptyCounts(),
      alreadyCurrent: plan.alreadyCurrent,
      leftoverKeysRemoved: 0,
      idempotencyKeysCarried: 0,
    };
    const progress = (): void => {
      const totals = emptyCounts();
      for (const tenant of summary.tenants) addCounts(totals, tenant.counts);
      hooks.onProgress?.(processedOf(totals), plan.total, totals);
    };
    const layout = (format: string, prefix: string): string => `${format}${inPlace ? '' : ` under "${prefix}"`}`;
    const swept = new Map<string, SweptTenant>();
    try {
      for (const tenantPlan of plan.tenants) {
        const counts = emptyCounts();
        summary.tenants.push({
          tenant: tenantPlan.tenant,
          from: [
            ...tenantPlan.v1Segments.map(() => layout('v1', sourcePrefix)),
            ...tenantPlan.sourceLayouts.map((n) => layout(`v2/${n}`, sourcePrefix)),
          ],
          to: layout(`v2/${request.targetShards}`, targetPrefix),
          counts,
          finished: false,
        });
        const step = new MoveStep({
          tenant: tenantPlan.tenant,
          counts,
          dryRun: request.dryRun,
          removeSource: inPlace,
          limits: options.limits,
          onFailure: (failure) => hooks.onFailure?.(failure),
        });
        const moved = await moveTenant(connections, tenantPlan, step, { sourcePrefix, targetPrefix, request, progress });
        if (counts.failed === 0) swept.set(tenantPlan.tenant, { ...moved, step, drainedLayouts: new Set(tenantPlan.sourceLayouts) });
      }
      if (!request.dryRun) {
        const sweep = await sweepLeftovers(client, names, swept, { prefix: sourcePrefix, removeSource: inPlace });
        summary.leftoverKeysRemoved = sweep.removed;
        summary.idempotencyKeysCarried = sweep.idempotencyKeysCarried;
        for (const tenant of summary.tenants) {
          if (!swept.has(tenant.tenant) || tenant.counts.failed > 0) continue;
          await markFinished(client, targetPrefix, tenant.tenant, request.targetShards);
          tenant.finished = true;
        }
      }
    } catch (error) {
      summary.stoppedBy = error instanceof Error ? error : new Error(String(error));
    }
    for (const tenant of summary.tenants) addCounts(summary.totals, tenant.counts);
    return summary;
  } finally {
    await connections.close();
  }
}

interface MoveContext {
  sourcePrefix: string;
  targetPrefix: string;
  request: UpgradeRequest;
  progress: () => void;
}

/** Marks the tenant in progress, then moves its v1 segments and old v2 layouts into the target layout. */
async function moveTenant(
  connections: UpgradeConnections,
  plan: TenantPlan,
  step: MoveStep,
  context: MoveContext,
): Promise<Pick<SweptTenant, 'target' | 'targetKeys'>> {
  const { request, sourcePrefix, targetPrefix } = context;
  const target = (await connections.storeAt(targetPrefix, request.targetShards)).forTenant(plan.tenant);
  if (!request.dryRun) await markInProgress(connections.client, targetPrefix, plan.tenant, plan.targetRecord, request.targetShards);
  for (const segment of plan.v1Segments) {
    await moveV1Segment(new V1Source(connections.client, sourcePrefix, segment), target, step, context.progress);
  }
  for (const shards of plan.sourceLayouts) {
    const source = (await connections.storeAt(sourcePrefix, shards)).forTenant(plan.tenant);
    await moveLayout(source, target, step, context.progress);
  }
  return { target, targetKeys: new RedisKeys(targetPrefix, plan.tenant, request.targetShards) };
}
