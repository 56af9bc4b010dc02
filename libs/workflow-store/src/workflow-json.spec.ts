import { describe, expect, it } from '@jest/globals';
import { workflowJsonText } from './workflow-json.js';

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
});
