import type { BenchConfig } from '../lib/bench-config.js';
import { bytesOnly, type Comparison } from '../lib/comparison.js';
import { fillStore } from '../lib/fill.js';
import { encodingsOf, keyUsage } from '../lib/key-usage.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { serverSample, serverTime } from '../lib/server-time.js';
import { redisStore } from '../lib/store-factory.js';

const SHARDS = 64;
/** Workflows per shard: past every default listpack limit (4 × 600 lexicographic entries, 600 expiry entries, 600 labels). */
const PER_SHARD = 600;

interface Setting {
  key: string;
  label: string;
  db: number;
  config: Record<string, string>;
}

/** Redis' defaults (the repo's redis.conf sets none of these), and limits high enough that a shard of 600 stays compact. */
const SETTINGS: readonly Setting[] = [
  { key: 'default', label: 'Redis defaults (zset-max-listpack-entries 128, hash-max-listpack-entries 512)', db: 5, config: {} },
  {
    key: 'listpack',
    label: 'zset-max-listpack-entries 4096, hash-max-listpack-entries 1024',
    db: 6,
    config: { 'zset-max-listpack-entries': '4096', 'hash-max-listpack-entries': '1024' },
  },
];

/**
 * A workflow's index share under a deployment setting: 38 400 workflows with a tiny state (600 in each of 64 shards),
 * written by `store.create` in a database of their own under that setting (CONFIG SET on the bench Redis, restored
 * after: Redis picks a key's encoding when it writes it), then MEMORY USAGE of every key that is not a record ÷
 * workflows, with the keys' encodings; beside it the create script's µs (commandstats) during the fill, since a
 * compact sorted set is an array: every insert moves its tail.
 */
export async function capacityMemoryScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const admin = redis.client();
  const rows: Comparison[] = [];
  const count = SHARDS * PER_SHARD;
  let defaultShare = NaN;
  const saved = new Map<string, string>();
  for (const name of ['zset-max-listpack-entries', 'hash-max-listpack-entries']) saved.set(name, String(((await admin.config('GET', name)) as string[])[1]));
  try {
    for (const setting of SETTINGS) {
      for (const [name, value] of Object.entries(setting.config)) await admin.config('SET', name, value);
      log(`capacity-memory: index share, ${count} workflows (${PER_SHARD} a shard), ${setting.label}`);
      const store = await redisStore(`${redis.url}/${setting.db}`, 'capm', { REDIS_SHARDS: String(SHARDS), REDIS_PURGE_INTERVAL_MS: '0', EVENTS_RETENTION_SECONDS: '0' });
      const before = await serverSample(admin);
      let fillSeconds: number;
      try {
        fillSeconds = await fillStore(store, 'w-', count, (n) => ({ n }), { concurrency: 256 });
      } finally {
        await store.close();
      }
      const after = await serverSample(admin);
      for (const [name, value] of saved) await admin.config('SET', name, value);
      const evalsha = serverTime(before, after, count).byCommand.evalsha;
      const client = redis.client(setting.db);
      const usage = await keyUsage(client, 'capm:*');
      client.disconnect();
      const share = (usage.bytes.index + usage.bytes.expiry + usage.bytes.labels + usage.bytes.format + usage.bytes.other) / count;
      if (setting.key === 'default') defaultShare = share;
      const per = (bytes: number): number => Math.round(bytes / count);
      rows.push({
        group: 'capacity',
        figure: `index share per workflow, ${setting.key === 'default' ? 'Redis defaults' : 'compact index encodings'}`,
        size: `${PER_SHARD} a shard`,
        subjectLabel: `index bytes per workflow, ${setting.label}`,
        baselineLabel: 'the same with Redis defaults',
        subject: bytesOnly(share),
        baseline: bytesOnly(defaultShare),
        ratio: share / defaultShare,
        ratioMeaning: 'bytes ÷ bytes with the defaults',
        unit: { subject: 'B/workflow', baseline: 'B/workflow' },
        note:
          `lexicographic index ${per(usage.bytes.index)} B, expiry index ${per(usage.bytes.expiry)} B, labels ${per(usage.bytes.labels)} B, other ${per(usage.bytes.other + usage.bytes.format)} B; ` +
          `encodings ${encodingsOf(usage, 'index')}/${encodingsOf(usage, 'expiry')}/${encodingsOf(usage, 'labels')}; ` +
          `write script during the fill (store.save, 256 in flight): ${evalsha ? (evalsha.usec / evalsha.calls).toFixed(1) : '–'} µs a call (commandstats), ` +
          `${Math.round(count / fillSeconds)} writes/s; events off (streams are not per workflow)`,
      });
      await admin.select(setting.db);
      await admin.flushdb();
      await admin.select(0);
    }
  } finally {
    for (const [name, value] of saved) await admin.config('SET', name, value).catch(() => undefined);
    admin.disconnect();
  }
  return rows;
}
