import { Redis } from 'ioredis';
import type { BenchConfig } from '../lib/bench-config.js';
import { bytesOnly, type Comparison } from '../lib/comparison.js';
import { DOC_SIZES, jsonBytes, makeState } from '../lib/documents.js';
import { commonLabels, fillStore } from '../lib/fill.js';
import { inParallel } from '../lib/in-parallel.js';
import { encodingsOf, keyUsage, type KeyUsage } from '../lib/key-usage.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { redisStore } from '../lib/store-factory.js';
import { v1Save } from '../lib/v1-save.js';

/** The default REDIS_SHARDS, set explicitly: the index sample is sized for it. */
const SHARDS = 64;
/** Index entries per workflow in storage format v2: a, y (type), t (type+status), s (status). */
const INDEX_ENTRIES_PER_WORKFLOW = 4;
const tiny = (n: number) => ({ n });

const indexBytes = (u: KeyUsage): number => u.bytes.index + u.bytes.expiry + u.bytes.labels + u.bytes.format + u.bytes.other;

/**
 * A workflow's share of the index keys, from `perShard` × 64 workflows with a tiny state: every shard then holds more
 * than Redis keeps in a compact listpack, as any real store's shards do (with a few dozen per shard, as a small
 * sample gives, the index would look several times cheaper than it is). The same for the v1 layout (16 shards,
 * three entries, written by the v1 save script of the test fixture) for comparison.
 */
async function indexShare(config: BenchConfig, redis: RedisProcess, client: Redis, log: (line: string) => void): Promise<{ v2: number; v1: number; note: string }> {
  const count = SHARDS * config.memoryIndexPerShard;
  log(`memory: index share, ${count} workflows (${config.memoryIndexPerShard} in each of ${SHARDS} shards), v2 and v1`);
  const store = await redisStore(redis.url, 'memidx', { REDIS_SHARDS: String(SHARDS), REDIS_PURGE_INTERVAL_MS: '0' });
  try {
    await fillStore(store, 'w-', count, tiny, { concurrency: 256 });
  } finally {
    await store.close();
  }
  const v2 = await keyUsage(client, 'memidx:*');
  if (v2.keys.record !== count) throw new Error(`expected ${count} records, found ${v2.keys.record}`);
  if (v2.indexEntries !== INDEX_ENTRIES_PER_WORKFLOW * count) throw new Error(`expected ${INDEX_ENTRIES_PER_WORKFLOW * count} index entries, found ${v2.indexEntries}`);
  const v1Client = new Redis(redis.url);
  try {
    const v1 = v1Save(v1Client, 'memv1');
    // The same ids and labels as the v2 fill (fillStore's commonLabels).
    const ns = Array.from({ length: count }, (_, n) => n);
    await inParallel(ns, 256, (n) => v1.save(`w-${n}`, commonLabels(n), JSON.stringify(tiny(n)), ''));
  } finally {
    v1Client.disconnect();
  }
  const v1 = await keyUsage(client, 'memv1:*');
  if (v1.keys.record !== count || v1.indexEntries !== 3 * count) throw new Error(`v1: ${v1.keys.record} records, ${v1.indexEntries} index entries`);
  const v1Index = indexBytes(v1) / count;
  const per = (bytes: number): number => Math.round(bytes / count);
  const note =
    `index share over ${count} workflows (${config.memoryIndexPerShard} a shard): lexicographic index ${per(v2.bytes.index)} B ` +
    `(${v2.indexEntries / count} entries), expiry index ${per(v2.bytes.expiry)} B, labels ${per(v2.bytes.labels)} B, format record ${per(v2.bytes.format)} B; ` +
    `encodings ${encodingsOf(v2, 'index')}/${encodingsOf(v2, 'expiry')}/${encodingsOf(v2, 'labels')}; v1 layout (16 shards, 3 entries) measured the same way: ${Math.round(v1Index)} B; ` +
    `not counted: the change feed's shard streams, ${per(v2.bytes.events)} B per workflow here (${v2.events} events, one per write, bounded by ` +
    `EVENTS_RETENTION_SECONDS and EVENTS_MAX_PER_SHARD, not by workflows: see memory-feed)`;
  return { v2: indexBytes(v2) / count, v1: v1Index, note };
}

/**
 * Redis memory per workflow: MEMORY USAGE (SAMPLES 0, exact) of the records of `memorySample` workflows of each size
 * ÷ their number, plus a workflow's share of the index keys (shards' lexicographic indexes with four entries per
 * workflow, expiry indexes, label hashes, the format record; see indexShare), against the JSON size of the state.
 * SCAN is used here, on bench-only prefixes; the store itself never scans.
 */
export async function redisMemoryScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const client = redis.client();
  const rows: Comparison[] = [];
  try {
    const index = await indexShare(config, redis, client, log);
    for (const size of DOC_SIZES) {
      const prefix = `mem${size.tag}`;
      const store = await redisStore(redis.url, prefix, { REDIS_SHARDS: String(SHARDS), REDIS_PURGE_INTERVAL_MS: '0' });
      const state = makeState(size.bytes);
      const json = jsonBytes(state);
      log(`memory per workflow ${size.label}: writing ${config.memorySample}`);
      try {
        await fillStore(store, 'w-', config.memorySample, () => state, { concurrency: 64 });
      } finally {
        await store.close();
      }
      const usage = await keyUsage(client, `${prefix}:*`);
      const records = usage.keys.record;
      if (records !== config.memorySample) throw new Error(`expected ${config.memorySample} records, found ${records}`);
      const record = usage.bytes.record / records;
      const perWorkflow = record + index.v2;
      const limit = 1.3 * json + 200;
      rows.push({
        group: 'memory-usage',
        figure: 'Redis memory per workflow',
        size: size.label,
        subjectLabel: 'bytes per workflow (record + its share of the indexes)',
        baselineLabel: 'JSON bytes of the state',
        subject: bytesOnly(perWorkflow),
        baseline: bytesOnly(json),
        ratio: perWorkflow / json,
        ratioMeaning: 'bytes per workflow ÷ JSON bytes',
        target: `≤ 1.3 × JSON + 200 = ${Math.round(limit)} B`,
        pass: perWorkflow <= limit,
        unit: { subject: 'B/workflow', baseline: 'B of JSON' },
        note: `record ${Math.round(record)} B (${records} records) + index share ${Math.round(index.v2)} B; ${index.note}`,
      });
    }
  } finally {
    client.disconnect();
  }
  return rows;
}
