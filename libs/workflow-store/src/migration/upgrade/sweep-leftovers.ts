import type { StoreRedisClient } from '../../redis/redis-client.types.js';
import type { RedisKeys } from '../../redis/redis-keys.js';
import type { WorkflowStore } from '../../workflow-store.js';
import type { KeyNames } from './key-names.js';
import type { MoveStep } from './move-step.js';
import { scanKeys } from './scan-keys.js';
import { workflowOfRecord } from './v1-source.js';

/** A tenant whose workflows were all moved: what is left of its old layouts may go. */
export interface SweptTenant {
  target: WorkflowStore;
  /** Key layout of the target, to carry idempotency keys into. */
  targetKeys: RedisKeys;
  step: MoveStep;
  /** Shard counts of its v2 layouts under the source prefix that were moved out. */
  drainedLayouts: Set<number>;
}

export interface SweepOptions {
  prefix: string;
  /** In place: remove the leftovers. Into another prefix: leave the source as it is (copy stray records and keys only). */
  removeSource: boolean;
}

export interface SweepResult {
  removed: number;
  idempotencyKeysCarried: number;
}

/**
 * One SCAN of the source prefix after the moves, for what they do not reach through the indexes: v1 idempotency
 * logs (`ops`, kept after a delete until the workflow would have expired; not carried over: they hold no request
 * fingerprint, so v2 could not tell a retry from a new request), stale v1/v2 index keys, v2 scratch keys, and
 * v2 idempotency keys, which are carried into the target layout with their remaining TTL. A record found here
 * (one no index listed) is moved like any other, never just deleted. Not run in a dry run: until the moves have
 * run, most of what it would find is still in use.
 */
export async function sweepLeftovers(
  client: StoreRedisClient,
  names: KeyNames,
  tenants: Map<string, SweptTenant>,
  options: SweepOptions,
): Promise<SweepResult> {
  const result: SweepResult = { removed: 0, idempotencyKeysCarried: 0 };
  const remove = async (key: string): Promise<void> => {
    if (!options.removeSource) return;
    await client.unlink(key);
    result.removed += 1;
  };
  const handle = async (key: string): Promise<void> => {
    const v1 = names.parseV1(key);
    const v2 = v1 ? undefined : names.parseV2(key);
    const tenant = tenants.get(v1?.tenant ?? v2?.tenant ?? '');
    if (!tenant || (v2 && !tenant.drainedLayouts.has(v2.shards))) return;
    const recordId = v1?.kind === 'wf' ? v1.id : v2?.rest.startsWith('w:') ? v2.rest.slice(2) : undefined;
    if (recordId !== undefined) {
      // An indexed record is the moves' business: in place they took it (or failed and keep it), a copy leaves it.
      if ((await client.zscore((v1 ?? v2)?.expiryKey as string, recordId)) !== null) return;
      const record = await client.get(key);
      await tenant.step.move(recordId, workflowOfRecord(recordId, record), tenant.target, () => client.unlink(key).then(() => undefined));
      return;
    }
    const idempotency = v2 && /^k:([^:]+):(.+)$/s.exec(v2.rest);
    if (idempotency) {
      const to = tenant.targetKeys.forWorkflow(idempotency[1] as string, idempotency[2]).idempotency;
      if (await carryIdempotencyKey(client, key, to)) result.idempotencyKeysCarried += 1;
    }
    await remove(key);
  };
  for await (const keys of scanKeys(client, `${options.prefix}:*`)) await Promise.all(keys.map(handle));
  return result;
}

/** Copies one remembered Idempotency-Key with its remaining TTL, unless the target already remembers it. */
async function carryIdempotencyKey(client: StoreRedisClient, from: string, to: string): Promise<boolean> {
  const [value, ttlMs] = await Promise.all([client.get(from), client.pttl(from)]);
  if (value === null || ttlMs <= 0) return false; // expired meanwhile (a key without TTL is never written)
  return (await client.set(to, value, 'PX', ttlMs, 'NX')) === 'OK';
}
