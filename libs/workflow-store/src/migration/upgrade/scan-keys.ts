import { isCluster, type StoreRedisClient } from '../../redis/redis-client.types.js';

/** Keys SCAN looks at per call: large enough to cross a big keyspace in few round trips, small enough not to stall Redis. */
const SCAN_COUNT = 1000;

/**
 * Every key matching `pattern`, a SCAN page at a time, on every master (a Cluster's keys are spread over them).
 * For the upgrade command only: SCAN walks the whole keyspace, which the service never does.
 * A key may come twice (SCAN's guarantee): callers must be idempotent per key.
 */
export async function* scanKeys(client: StoreRedisClient, pattern: string): AsyncGenerator<string[]> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}
