import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { diffJson } from './json-diff.js';

describe('diffJson', () => {
  it('names each added, removed and changed member by its path', () => {
    const diff = diffJson(
      { a: 1, list: [1, 2, 3], nested: { keep: true, drop: 'x' }, 'odd key': 1 },
      { a: 2, list: [1, 5], nested: { keep: true, add: null }, 'odd key': 1 },
      'state',
    );
    expect(diff.changes).toEqual([
      { path: 'state.a', kind: 'changed', before: '1', after: '2' },
      { path: 'state.list[1]', kind: 'changed', before: '2', after: '5' },
      { path: 'state.list[2]', kind: 'removed', before: '3' },
      { path: 'state.nested.drop', kind: 'removed', before: '"x"' },
      { path: 'state.nested.add', kind: 'added', after: 'null' },
    ]);
    expect(diff.total).toBe(5);
  });

  it('quotes keys that are not identifiers and cuts long values', () => {
    const diff = diffJson({}, { 'a b': 'x'.repeat(500) }, 'state');
    expect(diff.changes[0]?.path).toBe('state["a b"]');
    expect(diff.changes[0]?.after?.length).toBeLessThan(200);
  });

  it('keeps at most `limit` changes and counts them all', () => {
    const before = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const diff = diffJson(before, {}, 'state', 10);
    expect(diff.changes).toHaveLength(10);
    expect(diff.total).toBe(50);
  });

  it('finds no change exactly when the values are equal as JSON', () => {
    const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    fc.assert(
      fc.property(json, json, (a, b) => {
        const diff = diffJson(a, b, 'state');
        expect(diff.total === 0).toBe(JSON.stringify(a) === JSON.stringify(b) || sameUpToKeyOrder(a, b));
      }),
    );
  });
});

function sameUpToKeyOrder(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && sameUpToKeyOrder((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
