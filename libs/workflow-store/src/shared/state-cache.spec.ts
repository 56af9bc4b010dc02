import { describe, expect, it } from '@jest/globals';
import type { WorkflowMeta } from '../workflow-json.js';
import { StateCache } from './state-cache.js';

const meta = (version: number, createdMs = 1_000, updatedMs = 2_000): WorkflowMeta => ({
  id: 'x',
  type: 't',
  status: 's',
  version,
  createdAt: new Date(createdMs).toISOString(),
  updatedAt: new Date(updatedMs).toISOString(),
  expiresAt: new Date(updatedMs + 60_000).toISOString(),
  ttlSeconds: 60,
});

describe('StateCache', () => {
  it('keeps the version, the write that made it and the JSON; evicts the least recently used past its bytes', () => {
    const json = 'x'.repeat(1000); // 2 200 bytes counted
    const cache = new StateCache(8 * 2200);
    for (let i = 0; i < 8; i++) cache.set(`k${i}`, meta(i + 1), json);
    expect(cache.size).toEqual({ entries: 8, bytes: 8 * 2200 });
    expect(cache.get('k0')).toEqual({ version: 1, stamp: { createdMs: 1000, updatedMs: 2000 }, stateJson: json }); // k0 now most recent
    cache.set('k8', meta(9), json);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k0')?.version).toBe(1);
    expect(cache.size.bytes).toBeLessThanOrEqual(8 * 2200);
  });

  it('evicts down to 90 % of its bytes at once, oldest first', () => {
    const json = 'x'.repeat(1000); // 2 200 bytes counted
    const cache = new StateCache(10 * 2200);
    for (let i = 0; i < 11; i++) cache.set(`k${i}`, meta(i + 1), json);
    expect(cache.size).toEqual({ entries: 9, bytes: 9 * 2200 });
    expect([0, 1, 2].map((i) => cache.get(`k${i}`))).toEqual([undefined, undefined, expect.objectContaining({ version: 3 })]);
  });

  it('stays fast at its most entries: 400 000 writes and reads past 100 000 entries (an eviction per write from a new iterator took seconds)', () => {
    const cache = new StateCache(1 << 30);
    const versionOne = meta(1);
    const started = Date.now();
    let written = 0;
    // Bails out rather than running on: the one-walk eviction takes well under a second here.
    for (; written < 400_000 && Date.now() - started < 10_000; written++) {
      cache.set(`k${written}`, versionOne, '{}');
      cache.get(`k${written >> 1}`);
    }
    expect(written).toBe(400_000);
    expect(cache.size.entries).toBeLessThanOrEqual(100_000);
    expect(cache.size.entries).toBeGreaterThanOrEqual(90_000);
  });

  it('replaces an id on each write and forgets it on delete, bytes counted once', () => {
    const cache = new StateCache(1 << 20);
    cache.set('a', meta(1), '{"a":1}');
    cache.set('a', meta(2), '{"a":2}');
    expect(cache.get('a')?.version).toBe(2);
    expect(cache.size).toEqual({ entries: 1, bytes: 7 * 2 + 200 });
    cache.delete('a');
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('never keeps a version made in its creation millisecond (another life could repeat it), nor a state over an eighth of the budget', () => {
    const cache = new StateCache(8 * 1000);
    cache.set('a', meta(2), '{}');
    cache.set('a', meta(1, 5_000, 5_000), '{}');
    expect(cache.get('a')).toBeUndefined();
    cache.set('b', meta(2), 'x'.repeat(401)); // 1 002 bytes > 8 000 / 8
    expect(cache.get('b')).toBeUndefined();
  });
});
