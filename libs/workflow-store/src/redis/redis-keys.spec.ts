import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from '@jest/globals';
import { RedisKeys, shardOf, shardTag, targetSlot } from './redis-keys.js';
import { V1_SHARD_TAGS } from './v1-layout.js';

describe('Redis key layout v2', () => {
  it('places every shard of a tenant on its target slot, evenly spaced from an offset of the prefix and tenant', () => {
    for (const [prefix, tenant, shards] of [
      ['wfs', 'default', 64],
      ['wfs', 'acme', 256],
      ['other', 'acme', 16384],
      ['wfs', 't.1-x_y', 7],
    ] as const) {
      const keys = new RedisKeys(prefix, tenant, shards);
      for (let shard = 0; shard < shards; shard += Math.max(1, Math.floor(shards / 97))) {
        expect(calculateSlot(keys.tag(shard))).toBe(targetSlot(prefix, tenant, shards, shard));
      }
    }
    expect(targetSlot('wfs', 'a', 4, 1) - targetSlot('wfs', 'a', 4, 0)).toBe(4096);
  });

  it('gives two tenants, and two prefixes, different slots for the same shard', () => {
    expect(calculateSlot(shardTag('wfs', 'a', 16, 0))).not.toBe(calculateSlot(shardTag('wfs', 'b', 16, 0)));
    expect(calculateSlot(shardTag('wfs', 'a', 16, 0))).not.toBe(calculateSlot(shardTag('xyz', 'a', 16, 0)));
  });

  it('never shares a key between two shard counts (re-sharding copies between layouts)', () => {
    expect(new RedisKeys('wfs', 'a', 16).record('x')).not.toBe(new RedisKeys('wfs', 'a', 32).record('x'));
  });

  it('puts every key a write script touches in one slot, with and without an idempotency key', () => {
    const keys = new RedisKeys('wfs', 'acme', 64);
    for (const id of ['a', 'invoice-42', '01a206f6-f810-7720-8e68-7db4c1e5c73d']) {
      for (const key of [undefined, 'retry-7']) {
        const k = keys.forWorkflow(id, key);
        const slots = new Set([k.record, k.idempotency, k.index, k.expiry, k.labels].map((name) => calculateSlot(name)));
        expect(slots.size).toBe(1);
      }
      expect(keys.record(id)).toBe(`wfs:{${keys.tag(shardOf(id, 64))}}:w:${id}`);
    }
  });

  it('spreads ids over every shard', () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) counts[shardOf(`wf-${i}`, 64)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(700);
  });

  it('keeps the v1 shard tags, to find and upgrade v1 data', () => {
    expect(V1_SHARD_TAGS).toEqual([
      's0.10', 's1.13', 's2.23', 's3.20', 's4.0', 's5.3', 's6.40', 's7.43',
      's8.23', 's9.20', 's10.22', 's11.21', 's12.2', 's13.1', 's14.41', 's15.42',
    ]);
  });
});
