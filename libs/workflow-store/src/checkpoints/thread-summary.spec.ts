import { emptyCheckpoint } from '@langchain/langgraph-checkpoint';
import { statusOf, summaryOf } from './thread-summary.js';

describe('summaryOf', () => {
  const at = (versions: Record<string, number>, seen: Record<string, Record<string, number>>, values: Record<string, unknown> = Object.fromEntries(Object.keys(versions).map((c) => [c, null]))) => ({
    ...emptyCheckpoint(),
    channel_values: values,
    id: 'cp-1',
    ts: '2026-11-30T00:00:00.000Z',
    channel_versions: versions,
    versions_seen: seen,
  });

  it('lists the nodes whose trigger channel has a version they have not seen, sorted', () => {
    const checkpoint = at({ 'branch:to:review': 3, 'branch:to:classify': 2, 'branch:to:extract': 1, messages: 4 }, { extract: { 'branch:to:extract': 1 }, classify: { 'branch:to:classify': 1 } });
    const summary = summaryOf(checkpoint, { source: 'loop', step: 2, parents: {} });
    expect(summary).toEqual({ checkpointId: 'cp-1', step: 2, next: ['classify', 'review'], source: 'loop', updatedAt: '2026-11-30T00:00:00.000Z' });
    expect(statusOf(summary)).toBe('running');
  });

  it('a consumed trigger (its value gone) is not due; the input checkpoint has __start__ due; pending Sends are due', () => {
    const consumed = summaryOf(at({ 'branch:to:a': 2 }, { a: { 'branch:to:a': 1 } }, {}), { source: 'loop', step: 3, parents: {} });
    expect(consumed.next).toEqual([]);
    const input = summaryOf(at({ __start__: 1 }, {}, { __start__: { text: 'x' } }), { source: 'input', step: -1, parents: {} });
    expect(input.next).toEqual(['__start__']);
    const sends = summaryOf(at({ __pregel_tasks: 2 }, {}, { __pregel_tasks: [{ node: 'classify', args: 1 }, { node: 'classify', args: 2 }] }), { source: 'loop', step: 1, parents: {} });
    expect(sends.next).toEqual(['classify']);
  });

  it('is done when every trigger has been seen', () => {
    const summary = summaryOf(at({ 'branch:to:a': 1 }, { a: { 'branch:to:a': 1 } }), { source: 'loop', step: 5, parents: {} });
    expect(summary.next).toEqual([]);
    expect(statusOf(summary)).toBe('done');
  });

  it('compares string versions as LangGraph does', () => {
    const summary = summaryOf(at({ 'branch:to:a': '00000000000000000000000000000002.0.5' as unknown as number }, { a: { 'branch:to:a': '00000000000000000000000000000001.0.9' as unknown as number } }), {
      source: 'loop',
      step: 1,
      parents: {},
    });
    expect(summary.next).toEqual(['a']);
  });
});
