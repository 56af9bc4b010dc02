import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../errors/invalid-input.error.js';
import { createInputSchema, listQuerySchema } from '../workflow.schema.js';
import { validate } from './validate.js';

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues;
    throw error;
  }
  throw new Error('expected InvalidInputError');
}

describe('validation messages', () => {
  it('name fields as callers spell them and say what is allowed, in one voice, without repeating values', () => {
    expect(issuesOf(() => validate(listQuerySchema, { limit: 0 }, 'query'))).toEqual([{ path: 'limit', message: 'must be at least 1' }]);
    expect(issuesOf(() => validate(listQuerySchema, { limit: 5000 }, 'query'))).toEqual([{ path: 'limit', message: 'must be at most 1000' }]);
    expect(issuesOf(() => validate(createInputSchema, { state: {}, secret: 'hunter2' }, 'input'))).toEqual([
      { path: 'type', message: 'is required' },
      { path: 'secret', message: 'is not a field of this request' },
    ]);
    const wrongType = issuesOf(() => validate(createInputSchema, { type: 12345, state: {} }, 'input'));
    expect(wrongType).toEqual([{ path: 'type', message: 'must be a string, not a number' }]);
    // A schema's own message is kept; no internal variable names (input., query., options.) leak.
    expect(issuesOf(() => validate(createInputSchema, { type: 't', state: {}, ttlSeconds: 1.5 }, 'input'))).toEqual([
      { path: 'ttlSeconds', message: 'must be a whole number of seconds' },
    ]);
    for (const issue of issuesOf(() => validate(createInputSchema, 7, 'input'))) expect(issue.path).toBe('input');
  });
});
