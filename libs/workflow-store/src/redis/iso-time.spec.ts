import fc from 'fast-check';
import { isoTime } from './iso-time.js';

describe('isoTime', () => {
  it('equals Date#toISOString for every whole millisecond toISOString formats', () => {
    const MAX = 8.64e15; // the ECMAScript time range
    fc.assert(fc.property(fc.integer({ min: -MAX, max: MAX }), (ms) => isoTime(ms) === new Date(ms).toISOString()), { numRuns: 20_000 });
  });

  it('equals it around day, year and epoch boundaries', () => {
    const edges = [0, -1, 1, 86_399_999, 86_400_000, Date.UTC(2026, 0, 1) - 1, Date.UTC(2026, 0, 1), Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1)];
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
