import { describe, expect, it } from '@jest/globals';
import { ProblemException } from '../problem/problem.exception.js';
import { listQueryFrom } from './list-query.js';

describe('stalled list query', () => {
  it('accepts stalled=true alone (with limit and cursor), nothing else', () => {
    expect(listQueryFrom({ stalled: 'true', limit: '5', cursor: 'c' })).toEqual({ stalled: true, limit: 5, cursor: 'c' });
    for (const query of [{ stalled: 'false' }, { stalled: '1' }, { stalled: ['true', 'true'] }, { stalled: 'true', type: 't' }, { stalled: 'true', status: 's' }]) {
      expect(() => listQueryFrom(query)).toThrow(ProblemException);
    }
    expect(listQueryFrom({ type: 't', status: 's' })).toEqual({ type: 't', status: 's' });
  });
});
