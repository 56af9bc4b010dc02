import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from '@jest/globals';
import { RedisKeys, SHARD_COUNT, SHARD_TAGS, shardOf } from './redis-keys.js';

describe('Redis key layout', () => {
  it('keeps the shard tags of the storage format (changing them re-homes every workflow)', () => {
    expect(SHARD_TAGS).toEqual([
      's0.10', 's1.13', 's2.23', 's3.20', 's4.0', 's5.3', 's6.40', 's7.43',
      's8.23', 's9.20', 's10.22', 's11.21', 's12.2', 's13.1', 's14.41', 's15.42',
    ]);
  });

  it('spaces the shard slots evenly over the slot range', () => {
    SHARD_TAGS.forEach((tag, shard) => expect(Math.floor((calculateSlot(tag) * SHARD_COUNT) / 16384)).toBe(shard));
  });

  it('puts every key a write script touches in one slot', () => {
    const keys = new RedisKeys('wfs');
    for (const id of ['a', 'invoice-42', '01a206f6-f810-7720-8e68-7db4c1e5c73d']) {
      const k = keys.forWorkflow(id);
      const slots = new Set([k.record, k.operations, k.index, k.expiry, k.labels].map((key) => calculateSlot(key)));
      expect(slots.size).toBe(1);
      expect(k.record).toBe(`wfs:{${SHARD_TAGS[shardOf(id)]}}:wf:${id}`);
    }
  });

  it('spreads ids over every shard', () => {
    const counts = new Array<number>(SHARD_COUNT).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`wf-${i}`)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(700);
  });
});
