import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { MessageQueue } from './message-queue.js';

type Command = { kind: 'push'; count: number } | { kind: 'shift'; count: number } | { kind: 'clear' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 6000 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 7000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

describe('MessageQueue', () => {
  it('behaves as an array used with push and shift, across its compactions', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), (commands) => {
        const queue = new MessageQueue<number>();
        // The model: everything pushed, and how many were taken (not Array#shift, itself slow at these lengths).
        const pushed: number[] = [];
        let front = 0;
        for (const c of commands) {
          if (c.kind === 'push') {
            for (let i = 0; i < c.count; i++) {
              queue.push(pushed.length);
              pushed.push(pushed.length);
            }
          } else if (c.kind === 'shift') {
            for (let i = 0; i < c.count; i++) {
              const expected = front < pushed.length ? pushed[front++] : undefined;
              if (queue.shift() !== expected) expect({ at: front, got: 'something else' }).toEqual({ at: front, expected });
            }
          } else {
            queue.clear();
            front = pushed.length;
          }
          expect(queue.length).toBe(pushed.length - front);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('drains 1 000 000 items in linear time (Array#shift would take minutes)', () => {
    const queue = new MessageQueue<number>();
    for (let i = 0; i < 1_000_000; i++) queue.push(i);
    const started = Date.now();
    let taken = 0;
    // Bails out rather than hanging: the linear drain takes tens of ms, a quadratic one would pass this in seconds.
    while (queue.shift() === taken && Date.now() - started < 10_000) taken++;
    expect(taken).toBe(1_000_000);
    expect(queue.length).toBe(0);
  });
});
