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
