import { Redis } from 'ioredis';
import { dropClient } from './redis-client.js';

/**
 * Keys under `<prefix>:` that have no TTL (PTTL -1), found with SCAN. Tests only: the store itself never scans.
 * The store promises every key it writes expires, index keys included — except the one format record per prefix
 * (`<prefix>:format`), which must outlive the data it describes.
 */
export async function keysWithoutTtl(client: Redis, prefix: string): Promise<string[]> {
  const missing: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const ttls = await Promise.all(keys.map((key) => client.pttl(key)));
    ttls.forEach((ttl, i) => {
      if (ttl === -1 && keys[i] !== `${prefix}:format`) missing.push(keys[i] as string);
    });
  } while (cursor !== '0');
  return missing;
}

/** `keysWithoutTtl` over a connection of its own to the Redis on `port` (127.0.0.1), closed afterwards. */
export async function keysWithoutTtlAt(port: number, prefix: string): Promise<string[]> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  try {
    await client.connect();
    return await keysWithoutTtl(client, prefix);
  } finally {
    dropClient(client);
  }
}
