import { idOfIndexKey, indexKey, kindOf, type ListPosition, type ListRange } from '../shared/list-order.js';
import type { ListSlice } from '../shared/storage-backend.js';
import type { Workflow } from '../workflow.types.js';
import { workflowFromRecord } from './redis-codec.js';
import type { RedisKeys } from './redis-keys.js';
import type { StoreRedisClient } from './redis-client.types.js';

/** Upper bound of the lexicographic index: every byte of a key is ASCII, so U+00FF (UTF-8 C3 BF) sorts after all. */
const LEX_MAX = '\u00ff';
/** Shards read together once shards come back empty: a sparse store is crossed in few round trips. */
const MAX_PROBE_WIDTH = 64;
/** Shards one slice may pass through; a walk over a nearly empty store with many shards returns early, cursor kept. */
export const MAX_SHARDS_PER_SLICE = 1024;

type Read = <T>(operation: string, command: () => Promise<T>) => Promise<T>;

/**
 * One slice of a walk: the shards from `range.position` on, in order, each read from where the walk stands
 * (`ZRANGEBYLEX … LIMIT`) until `limit` index entries are taken; then the records of those entries. Shards that
 * come back empty make the next round read more shards at once (1, 4, 16, 64), so empty shards cost one command
 * each, sent together. Cost: the entries taken (≤ limit + 1 per shard read) plus the records, whatever the size of
 * the store; the shard count only matters through the empty shards passed.
 */
export async function walkShards(client: StoreRedisClient, keys: RedisKeys, range: ListRange, limit: number, read: Read): Promise<ListSlice> {
  const max = `[${range.prefix}${LEX_MAX}`;
  let shard = range.position?.shard ?? 0;
  let after = range.position?.after;
  const taken: string[] = [];
  let next: ListPosition | null = null;
  let width = 1;
  let passed = 0;
  while (taken.length < limit && shard < keys.shards) {
    if (passed >= MAX_SHARDS_PER_SLICE) {
      next = { shard };
      break;
    }
    const need = limit - taken.length;
    const batch = Array.from({ length: Math.min(width, keys.shards - shard) }, (_, i) => shard + i);
    const pages = await read('list', () =>
      Promise.all(
        batch.map((s, i) => {
          const min = i === 0 && after !== undefined ? `(${after}` : `[${range.prefix}`;
          return client.zrangebylex(keys.shard(s).index, min, max, 'LIMIT', 0, need + 1);
        }),
      ),
    );
    passed += batch.length;
    let stoppedInShard = false;
    for (let i = 0; i < batch.length; i++) {
      const page = pages[i] as string[];
      const room = limit - taken.length;
      if (page.length > room) {
        const kept = page.slice(0, room);
        taken.push(...kept);
        next = { shard: batch[i] as number, ...(kept.length > 0 ? { after: kept.at(-1) as string } : i === 0 && after !== undefined ? { after } : {}) };
        stoppedInShard = true;
        break;
      }
      taken.push(...page);
    }
    if (stoppedInShard) break;
    const foundAny = pages.some((page) => page.length > 0);
    shard += batch.length;
    after = undefined;
    width = foundAny ? 1 : Math.min(width * 4, MAX_PROBE_WIDTH);
    if (taken.length >= limit && shard < keys.shards) next = { shard };
  }
  if (next === null && taken.length >= limit && shard < keys.shards) next = { shard };
  return { items: await recordsOf(client, keys, range.prefix, taken, read), next };
}

/** The live workflows behind index entries, still under the same entry (labels unchanged since the index read). */
async function recordsOf(client: StoreRedisClient, keys: RedisKeys, prefix: string, entries: string[], read: Read): Promise<Workflow[]> {
  const ids = entries.map(idOfIndexKey);
  const records = await read('list', () => Promise.all(ids.map((id) => client.get(keys.record(id)))));
  const kind = kindOf(prefix);
  const items: Workflow[] = [];
  records.forEach((record, i) => {
    const workflow = workflowFromRecord(ids[i] as string, record);
    // Skips expired records, and records whose labels changed after the index was read (they are listed under their new key).
    if (workflow && indexKey(kind, workflow) === entries[i]) items.push(workflow);
  });
  return items;
}
