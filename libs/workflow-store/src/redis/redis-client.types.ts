import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

/**
 * The client the Redis backend works with: a standalone or Sentinel-managed `Redis`, or a `Cluster`. Both have
 * the same command methods, `status`, events and `defineCommand`; a Cluster sends each command, defined scripts
 * included, to the node owning its keys' slot.
 */
export type StoreRedisClient = Redis | Cluster;

export function isCluster(client: StoreRedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** The master connection a Cluster sends commands on `key` to (the one a script on that key just ran on). */
export function nodeOwning(cluster: Cluster, key: string): Redis | undefined {
  const owner = cluster.slots[calculateSlot(key)]?.[0];
  return cluster.nodes('master').find((node) => `${String(node.options.host)}:${String(node.options.port)}` === owner);
}
