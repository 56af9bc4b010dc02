import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { z } from 'zod';
import { InvalidInputError } from '../errors/invalid-input.error.js';
import { createInputSchema, patchSchema, saveInputSchema } from '../workflow.schema.js';
import { validate } from './validate.js';
import {
  conditionalOptionsSchema,
  createOptionsSchema,
  validConditionalOptions,
  validCreateInput,
  validCreateOptions,
  validPatch,
  validSaveInput,
} from './write-input.js';

type Outcome = { ok: true; value: unknown; keys: string[] } | { ok: false; issues: unknown };

function outcomeOf(run: () => unknown): Outcome {
  try {
    const value = run();
    return { ok: true, value, keys: Object.keys(value as object) };
  } catch (error) {
    if (error instanceof InvalidInputError) return { ok: false, issues: error.issues };
    throw error;
  }
}

const cases: [string, z.ZodType, (value: unknown, root: string) => unknown][] = [
  ['create input', createInputSchema, validCreateInput],
  ['save input', saveInputSchema, validSaveInput],
  ['patch', patchSchema, validPatch],
  ['create options', createOptionsSchema, validCreateOptions],
  ['conditional options', conditionalOptionsSchema, validConditionalOptions],
];

/** Values near every field's edges: valid and invalid labels, ids, operation ids, integers, states. */
const fieldValue = fc.oneof(
  fc.constantFrom('invoice', 'a', '_x', '.hidden', 'has space', 'a'.repeat(64), 'a'.repeat(65), '', 'op~1', 'x|y', 'ünï'),
  fc.string({ maxLength: 70 }),
  fc.constantFrom(0, 1, 2, -1, 1.5, 60, 2 ** 53 - 1, 2 ** 53, 1e300, Number.NaN, Number.POSITIVE_INFINITY),
  fc.integer(),
  fc.constantFrom(undefined, null, true, [], [1], {}, { a: 1 }, new Date(0), Object.create(null) as object),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);
const fieldName = fc.constantFrom(
  'id', 'type', 'status', 'state', 'ttlSeconds', 'operationId', 'expectedVersion', 'leaseToken', 'maxAttempts', 'secret', 'constructor', 'toString',
);
/** Valid values of every field, any subset of them, with up to two fields then set to anything. */
const validFields = fc.record(
  { id: fc.constant('wf-1'), type: fc.constant('invoice'), status: fc.constant('open'), state: fc.constant({ a: 1 }), ttlSeconds: fc.constant(60),
    operationId: fc.constant('op-1'), expectedVersion: fc.integer({ min: 1, max: 2 ** 53 - 1 }), leaseToken: fc.integer({ min: 1, max: 99 }) },
  { requiredKeys: [] },
);
const nearlyValid = fc
  .tuple(validFields, fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 2 }))
  .map(([base, overrides]) => Object.assign({ ...base }, Object.fromEntries(overrides)) as Record<string, unknown>);
const plainInput = fc.oneof(fc.dictionary(fieldName, fieldValue, { maxKeys: 6 }), nearlyValid, nearlyValid);
/** Also what is no plain object: the fast path must hand these to zod. */
const anyInput = fc.oneof(
  { weight: 6, arbitrary: plainInput },
  { weight: 1, arbitrary: plainInput.map((o) => Object.assign(Object.create(null) as object, o)) },
  { weight: 1, arbitrary: plainInput.map((o) => Object.assign(Object.create({ inherited: 1 }) as object, o)) },
  { weight: 1, arbitrary: plainInput.map((o) => Object.assign(new (class Input {})(), o)) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 7, 'text', [], [{ state: {} }]) },
);

/** Edges a random walk reaches rarely: a required field present but undefined, integers at the safe limit. */
const edgeExamples: [unknown][] = [
  [{ type: 'invoice', state: undefined }],
  [{ state: undefined }],
  [{ type: 'invoice', state: {}, ttlSeconds: undefined, status: undefined }],
  [{ type: 'invoice', state: {}, ttlSeconds: 2 ** 53 }],
  [{ state: {}, ttlSeconds: 2 ** 53 - 1 }],
  [{ expectedVersion: 2 ** 53 }],
  [{ operationId: 'op-1', leaseToken: 3, expectedVersion: 2 }],
  [{ type: undefined }],
];

describe('write inputs validated without zod when plainly valid', () => {
  for (const [name, schema, fast] of cases) {
    it(`${name}: the same answer as zod for any input (value, field order, undefined fields, or the same issues)`, () => {
      fc.assert(
        fc.property(anyInput, (input) => {
          const expected = outcomeOf(() => validate(schema, input, 'input'));
          const got = outcomeOf(() => fast(input, 'input'));
          expect(got).toEqual(expected);
          // toEqual ignores undefined members; the key lists do not.
          if (got.ok && expected.ok) expect(got.keys).toEqual(expected.keys);
          // The state is the caller's own object, not a copy (zod's custom check passes it through).
          if (got.ok && expected.ok) expect((got.value as { state?: unknown }).state).toBe((expected.value as { state?: unknown }).state);
        }),
        { numRuns: 3000, examples: edgeExamples },
      );
    });
  }

  it('does not call zod for a plainly valid input, and does for anything else', () => {
    const parse = jest.spyOn(saveInputSchema, 'safeParse');
    try {
      const state = { step: 1 };
      expect(validSaveInput({ type: 'invoice', state, ttlSeconds: 60 }, 'input')).toEqual({ type: 'invoice', state, ttlSeconds: 60 });
      expect(parse).not.toHaveBeenCalled();
      expect(() => validSaveInput({ type: 'has space', state }, 'input')).toThrow(InvalidInputError);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });
});
