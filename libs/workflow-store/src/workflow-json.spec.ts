import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { workflowJsonBytes, workflowJsonText } from './workflow-json.js';

describe('workflowJsonText', () => {
  it('is exactly JSON.stringify of the parsed workflow, members in the same order', () => {
    const workflow = {
      id: 'wf-1',
      type: 'invoice',
      status: 'review',
      state: { a: [1, { b: 'ü "q"' }], n: null },
      version: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-02T00:00:00.000Z',
      expiresAt: '2026-01-03T00:00:00.000Z',
      ttlSeconds: 86400,
    };
    const { state, ...meta } = workflow;
    expect(workflowJsonText({ workflow: meta, stateJson: JSON.stringify(state) })).toBe(JSON.stringify(workflow));
  });

  it('equals JSON.stringify for any strings and numbers in the fields (quotes, backslashes, unicode, control characters)', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('wf-1', '2026-01-01T00:00:00.000Z', 'a"b', 'a\\b', '\u2028'));
    const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(text, text, text, number, text, text, text, number, fc.jsonValue(), (id, type, status, version, createdAt, updatedAt, expiresAt, ttlSeconds, value) => {
        const state = { value };
        const workflow = { id, type, status, state, version, createdAt, updatedAt, expiresAt, ttlSeconds };
        const { state: _state, ...meta } = workflow;
        const stateJson = JSON.stringify(state);
        expect(workflowJsonText({ workflow: meta, stateJson })).toBe(JSON.stringify(workflow));
        expect(workflowJsonBytes({ workflow: meta, stateBytes: Buffer.from(stateJson) }).equals(Buffer.from(JSON.stringify(workflow)))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
