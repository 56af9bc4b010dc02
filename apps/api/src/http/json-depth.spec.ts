import { describe, expect, it } from '@jest/globals';
import { nestsDeeperThan } from './json-depth.js';

const nested = (depth: number, open: string, close: string): unknown => JSON.parse(`${open.repeat(depth)}1${close.repeat(depth)}`);

describe('nestsDeeperThan', () => {
  it('counts object and array nesting, not brackets inside strings', () => {
    expect(nestsDeeperThan({ a: [{ b: [] }] }, 4)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: [] }] }, 3)).toBe(true);
    expect(nestsDeeperThan(JSON.parse(JSON.stringify({ s: '[[[[[[{{{{{{' })), 1)).toBe(false);
    expect(nestsDeeperThan('[[[[', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
  });

  it('finds the deep branch wherever it is, in arrays and objects alike', () => {
    expect(nestsDeeperThan(JSON.parse(`[1, {"x": 2}, ${'['.repeat(65)}${']'.repeat(65)}]`), 64)).toBe(true);
    expect(nestsDeeperThan(JSON.parse(`{"a": 1, "b": ${'{"c":'.repeat(64)}0${'}'.repeat(64)}}`), 64)).toBe(true);
    expect(nestsDeeperThan(JSON.parse(`{"a": 1, "b": ${'{"c":'.repeat(63)}0${'}'.repeat(63)}}`), 64)).toBe(false);
  });

  it('walks a 100 000-deep parsed body without overflowing the stack', () => {
    expect(nestsDeeperThan(nested(100_000, '[', ']'), 64)).toBe(true);
    expect(nestsDeeperThan(nested(100_000, '{"a":', '}'), 64)).toBe(true);
    expect(nestsDeeperThan(nested(64, '[', ']'), 64)).toBe(false);
  });
});
