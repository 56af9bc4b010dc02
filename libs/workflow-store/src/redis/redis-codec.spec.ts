import fc from 'fast-check';
import { isoTime } from './iso-time.js';
import { stampedWorkflowFromRecord, storedWorkflowFromRecord, storedWorkflowFromRecordBytes } from './redis-codec.js';

/** The header parse as it was (split on '|', Number of each field): what the positional parse must equal. */
function reference(id: string, record: string): unknown {
  const newline = record.indexOf('\n');
  const [version, created, updated, expires, ttl, type, status] = record.slice(0, newline).split('|');
  const workflow = {
    id,
    type: type ?? '',
    status: status ?? '',
    version: Number(version),
    createdAt: isoTime(Number(created ?? 0)),
    updatedAt: isoTime(Number(updated ?? 0)),
    expiresAt: isoTime(Number(expires ?? 0)),
    ttlSeconds: Number(ttl),
  };
  return { workflow, stateJson: record.slice(newline + 1), stamp: { createdMs: Number(created ?? 0), updatedMs: Number(updated ?? 0) } };
}

const outcome = (f: () => unknown): unknown => {
  try {
    return f();
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
};

const ms = fc.integer({ min: 0, max: 4_102_444_800_000 }).map(String);
const label = fc.stringMatching(/^[A-Za-z0-9_.:+-]{0,12}$/);
/** Mostly well-formed fields, sometimes anything (empty, signs, spaces, extra '|'), to reach the fallback too. */
const field = (good: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const header = fc
  .tuple(field(fc.nat(1e6).map(String)), field(ms), field(ms), field(ms), field(fc.nat(1e7).map(String)), label, label)
  .chain((fields) => fc.integer({ min: 1, max: 7 }).map((n) => fields.slice(0, n).join('|')));

describe('redis-codec header parse', () => {
  it('equals the split-and-Number parse for any header, on the string and the bytes paths', () => {
    fc.assert(
      fc.property(header.filter((h) => !h.includes('\n')), fc.string({ maxLength: 20 }), (head, state) => {
        const record = `${head}\n${state}`;
        const expected = outcome(() => reference('x', record));
        expect(outcome(() => stampedWorkflowFromRecord('x', record))).toEqual(expected);
        const stored = outcome(() => storedWorkflowFromRecord('x', record));
        const withoutStamp = typeof expected === 'string' ? expected : { ...(expected as object), stamp: undefined };
        expect(stored).toEqual(withoutStamp);
        if (!/[^\x20-\x7e]/.test(head)) {
          const bytes = outcome(() => storedWorkflowFromRecordBytes('x', Buffer.from(record)));
          expect(typeof bytes === 'string' ? bytes : (bytes as { workflow: unknown }).workflow).toEqual(
            typeof expected === 'string' ? expected : (expected as { workflow: unknown }).workflow,
          );
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
