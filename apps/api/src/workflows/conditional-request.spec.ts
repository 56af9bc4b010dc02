import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ProblemException } from '../problem/problem.exception.js';
import { parseEntityTags, type EntityTagCondition } from './conditional-request.js';

/** The list parser without the one-tag fast path: what every header must parse to. */
function oracle(header: string): EntityTagCondition | 'invalid' {
  const value = header.trim();
  if (value === '*') return { any: true };
  const strong: number[] = [];
  const weak: number[] = [];
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(W\/)?"([^"]*)"$/.exec(part);
    if (!match) return 'invalid';
    if (/^[1-9]\d{0,15}$/.test(match[2] ?? '')) (match[1] ? weak : strong).push(Number(match[2]));
  }
  return { any: false, strong, weak };
}

function parsed(header: string): EntityTagCondition | 'invalid' {
  try {
    return parseEntityTags(header, 'If-Match') as EntityTagCondition;
  } catch (error) {
    if (error instanceof ProblemException) return 'invalid';
    throw error;
  }
}

const tag = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 17n }).map((n) => `"${n}"`),
  fc.constantFrom('"0"', '"01"', '""', '"x"', 'W/"3"', '"3', '3', '*', '"1234567890123456"', '"12345678901234567"'),
  fc.string({ maxLength: 6 }).map((s) => `"${s}"`),
);
const header = fc
  .tuple(fc.array(tag, { minLength: 1, maxLength: 3 }), fc.constantFrom(',', ', ', ' ,'), fc.constantFrom('', ' ', '\t'))
  .map(([tags, separator, pad]) => `${pad}${tags.join(separator)}${pad}`);

describe('parseEntityTags', () => {
  it('parses every header as the general list parser does (the one-strong-tag fast path included)', () => {
    fc.assert(fc.property(header, (h) => expect(parsed(h)).toEqual(oracle(h))), { numRuns: 2000 });
    for (const h of ['"7"', ' "7" ', '"0"', '"01"', '"12345678901234567"', 'W/"7"', '"7", "8"']) expect(parsed(h)).toEqual(oracle(h));
  });
});
