import type { StoreRedisClient } from '../../redis/redis-client.types.js';
import { FORMAT_VERSION, RedisKeys } from '../../redis/redis-keys.js';
import { readFormatRecords, type FormatRecord } from '../../redis/storage-format.js';
import { DEFAULT_TENANT } from '../../workflow.schema.js';
import type { KeyNames } from './key-names.js';
import { scanKeys } from './scan-keys.js';
import { V1Source } from './v1-source.js';

/** The data found cannot be upgraded as asked (an unknown format, a target prefix laid out otherwise): nothing was written. */
export class UpgradeRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpgradeRefusedError';
  }
}

/** Where one tenant's data is, and where it goes. */
export interface TenantPlan {
  tenant: string;
  /** Tenant segments of its v1 keys (undefined: the default tenant's, which had none). */
  v1Segments: (string | undefined)[];
  /** Shard counts of its v2 layouts under the source prefix still to be moved. */
  sourceLayouts: number[];
  /** Its format record under the target prefix before this run. */
  targetRecord: FormatRecord | undefined;
}

export interface UpgradePlan {
  tenants: TenantPlan[];
  /** Tenants already in v2 with the target shard count: nothing to do. */
  alreadyCurrent: number;
  /** Workflows to handle (expired ones still indexed included), for progress. */
  total: number;
}

export interface PlanRequest {
  sourcePrefix: string;
  targetPrefix: string;
  targetShards: number;
}

/**
 * Finds what to move: tenants with v1 keys (one SCAN of the source prefix on every master), and from the format
 * record the tenants whose layout differs from the target (another shard count, a re-shard left unfinished, or
 * any layout when copying into another prefix).
 */
export async function planUpgrade(client: StoreRedisClient, names: KeyNames, request: PlanRequest): Promise<UpgradePlan> {
  const inPlace = request.sourcePrefix === request.targetPrefix;
  const v1 = await findV1Segments(client, names, request.sourcePrefix);
  const sourceRecords = await readFormatRecords(client, request.sourcePrefix);
  const targetRecords = inPlace ? sourceRecords : await readFormatRecords(client, request.targetPrefix);
  for (const [tenant, record] of [...sourceRecords, ...targetRecords]) {
    if (record.format !== FORMAT_VERSION) {
      throw new UpgradeRefusedError(`tenant "${tenant}" is recorded in storage format v${record.format}, which this version does not know`);
    }
  }
  const tenants: TenantPlan[] = [];
  let alreadyCurrent = 0;
  for (const tenant of [...new Set([...v1.keys(), ...sourceRecords.keys()])].sort(defaultFirst)) {
    const source = sourceRecords.get(tenant);
    const target = targetRecords.get(tenant);
    const layouts = [...new Set([source?.shards, source?.reshardTo])].filter((n): n is number => n !== undefined);
    const sourceLayouts = inPlace ? layouts.filter((n) => n !== request.targetShards) : layouts;
    const segments = [...(v1.get(tenant) ?? [])];
    if (segments.length === 0 && sourceLayouts.length === 0 && target?.reshardTo === undefined) {
      alreadyCurrent += 1;
      continue;
    }
    if (!inPlace && target && (target.shards !== request.targetShards || (target.reshardTo ?? target.shards) !== request.targetShards)) {
      const moving = target.reshardTo === undefined ? '' : ` (being moved to ${target.reshardTo})`;
      throw new UpgradeRefusedError(
        `tenant "${tenant}" under the target prefix "${request.targetPrefix}" is recorded with ${target.shards} shards${moving}; ` +
          `copy with --shards ${target.shards}, or into an empty prefix`,
      );
    }
    tenants.push({ tenant, v1Segments: segments, sourceLayouts, targetRecord: target });
  }
  return { tenants, alreadyCurrent, total: await countWorkflows(client, request.sourcePrefix, tenants) };
}

/** Tenant → its v1 key segments, from every v1 key found (not only indexes: a stray idempotency log counts too). */
async function findV1Segments(client: StoreRedisClient, names: KeyNames, prefix: string): Promise<Map<string, Set<string | undefined>>> {
  const found = new Map<string, Set<string | undefined>>();
  for await (const keys of scanKeys(client, `${prefix}:*`)) {
    for (const key of keys) {
      const name = names.parseV1(key);
      if (!name) continue;
      const segments = found.get(name.tenant) ?? new Set();
      segments.add(name.segment);
      found.set(name.tenant, segments);
    }
  }
  return found;
}

/** Expiry index entries of every source: one per workflow (plus expired ones not swept yet). */
async function countWorkflows(client: StoreRedisClient, prefix: string, tenants: TenantPlan[]): Promise<number> {
  let total = 0;
  for (const plan of tenants) {
    for (const segment of plan.v1Segments) total += await new V1Source(client, prefix, segment).count();
    for (const shards of plan.sourceLayouts) {
      const keys = new RedisKeys(prefix, plan.tenant, shards);
      const sizes = await Promise.all(Array.from({ length: shards }, (_, shard) => client.zcard(keys.shard(shard).expiry)));
      total += sizes.reduce((sum, n) => sum + n, 0);
    }
  }
  return total;
}

function defaultFirst(a: string, b: string): number {
  if (a === DEFAULT_TENANT || b === DEFAULT_TENANT) return a === DEFAULT_TENANT ? (b === DEFAULT_TENANT ? 0 : -1) : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
