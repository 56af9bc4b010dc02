import calculateSlot from 'cluster-key-slot';
import { DEFAULT_SHARDS } from '../../libs/workflow-store/src/config/workflow-store.config.js';
import { RedisKeys, shardOf } from '../../libs/workflow-store/src/redis/redis-keys.js';

/** The key layout a test's store uses (prefix, tenant, REDIS_SHARDS), to find where an id's keys live. */
export function layoutOf(prefix: string, tenant = 'default', shards = DEFAULT_SHARDS): RedisKeys {
  return new RedisKeys(prefix, tenant, shards);
}

/** The Cluster slot of every key of a workflow. */
export function slotOfWorkflow(prefix: string, id: string, tenant = 'default', shards = DEFAULT_SHARDS): number {
  return calculateSlot(layoutOf(prefix, tenant, shards).record(id));
}

/** The shard of an id under the default shard count. */
export function defaultShardOf(id: string): number {
  return shardOf(id, DEFAULT_SHARDS);
}
