import { randomUUID } from 'node:crypto';
import type { BenchConfig } from '../lib/bench-config.js';
import { bytesOnly, type Comparison } from '../lib/comparison.js';
import { makeState } from '../lib/documents.js';
import { inParallel } from '../lib/in-parallel.js';
import { keyUsage } from '../lib/key-usage.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { median } from '../lib/stats.js';
import { redisStore } from '../lib/store-factory.js';
import { usedMemory } from '../lib/used-memory.js';

/** A database of its own: its key and expiry dicts grow only with this figure's keys, not with the other scenarios'. */
const DB = 1;
/** Three characters, like the default prefix `wfs`: key names are as long as a default deployment's. */
const PREFIX = 'wfi';

/**
 * Redis memory per remembered idempotency key: `idempotencyKeys` workflows (36-character UUID ids, 1 KB state) are
 * saved without a key, then each is saved again with a fresh 36-character UUID key; the `used_memory` delta of
 * those keyed writes ÷ their number is the figure (the records are rewritten at the same size and the labels do not
 * change, and the store keeps no history and records no events, so only the remembered keys are new). Repeated `rounds` times (each round adds one more key per workflow),
 * median. MEMORY USAGE of the keys is shown beside it.
 */
export async function idempotencyMemoryScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const client = redis.client(DB);
  // History and events off: with them on (the defaults) each keyed rewrite would also keep the replaced 1 KB version
  // and append an event, and the delta would no longer be the key's (those are measured by memory-feed).
  const store = await redisStore(`${redis.url}/${DB}`, PREFIX, { REDIS_PURGE_INTERVAL_MS: '0', WORKFLOW_HISTORY_VERSIONS: '0', EVENTS_RETENTION_SECONDS: '0' });
  const n = config.idempotencyKeys;
  try {
    const state = makeState(1024);
    const ids = Array.from({ length: n }, () => randomUUID());
    log(`memory per idempotency key: ${n} workflows, then ${config.rounds} × ${n} keyed writes`);
    await inParallel(ids, 64, (id) => store.save(id, { type: 'invoice', state }));
    const perKey: number[] = [];
    for (let round = 0; round < config.rounds; round++) {
      const before = await usedMemory(client);
      await inParallel(ids, 64, (id) => store.save(id, { type: 'invoice', state }, { operationId: randomUUID() }));
      perKey.push(((await usedMemory(client)) - before) / n);
    }
    const usage = await keyUsage(client, `${PREFIX}:*`);
    const keys = usage.keys.idempotency;
    if (keys !== n * config.rounds) throw new Error(`expected ${n * config.rounds} idempotency keys, found ${keys}`);
    const delta = median(perKey);
    const payload = usage.idempotencyPayload / keys;
    return [
      {
        group: 'memory-idempotency',
        figure: 'Redis memory per idempotency key',
        size: '36-char key on a 36-char id',
        subjectLabel: 'used_memory delta per keyed write',
        baselineLabel: 'key name + value bytes',
        subject: bytesOnly(delta),
        baseline: bytesOnly(payload),
        ratio: delta / payload,
        ratioMeaning: 'bytes per remembered key ÷ bytes of its name and value',
        unit: { subject: 'B/key', baseline: 'B of name + value' },
        note:
          `used_memory delta ÷ keyed writes, ${config.rounds} round(s) of ${n}: ${perKey.map((b) => Math.round(b)).join(', ')} B; ` +
          `MEMORY USAGE of the key itself ${Math.round(usage.bytes.idempotency / keys)} B (no expiry entry, no dict buckets); ` +
          `prefix "${PREFIX}", default tenant, 64 shards, WORKFLOW_HISTORY_VERSIONS=0 and EVENTS_RETENTION_SECONDS=0`,
      },
    ];
  } finally {
    await store.close();
    client.disconnect();
  }
}
