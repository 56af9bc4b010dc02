import type { BenchConfig } from '../lib/bench-config.js';
import type { Comparison } from '../lib/comparison.js';
import { DOC_SIZES, jsonBytes, makeState } from '../lib/documents.js';
import { fillStore } from '../lib/fill.js';
import type { Measurement } from '../lib/measure.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { redisStore } from '../lib/store-factory.js';

const bytesOnly = (value: number): Measurement => ({ opsPerSec: value, p50Ms: NaN, p99Ms: NaN, ops: 0, errors: 0 });

/**
 * Redis memory per workflow: MEMORY USAGE (SAMPLES 0, exact) of every key under a bench-only prefix (records,
 * index, expiry and label keys), ÷ the number of workflows, against the JSON size of the state.
 * SCAN is used here, on a bench-only prefix; the store itself never scans.
 */
export async function redisMemoryScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const client = redis.client();
  const rows: Comparison[] = [];
  try {
    for (const size of DOC_SIZES) {
      const prefix = `mem${size.tag}`;
      const store = await redisStore(redis.url, prefix);
      const state = makeState(size.bytes);
      const json = jsonBytes(state);
      log(`memory per workflow ${size.label}: writing ${config.memorySample}`);
      try {
        await fillStore(store, 'w-', config.memorySample, () => state, 64);
      } finally {
        await store.close();
      }
      let recordBytes = 0;
      let records = 0;
      let indexBytes = 0;
      let cursor = '0';
      do {
        const [nextCursor, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = nextCursor;
        for (const key of keys) {
          const usage = Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
          if (key.includes('}:w:')) {
            recordBytes += usage;
            records++;
          } else {
            indexBytes += usage;
          }
        }
      } while (cursor !== '0');
      if (records !== config.memorySample) throw new Error(`expected ${config.memorySample} records, found ${records}`);
      const perWorkflow = (recordBytes + indexBytes) / records;
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
        note: `record ${Math.round(recordBytes / records)} B + index share ${Math.round(indexBytes / records)} B per workflow (${records} workflows)`,
      });
    }
  } finally {
    client.disconnect();
  }
  return rows;
}
