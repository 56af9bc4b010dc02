import { describe, expect, it } from '@jest/globals';
import { formatEventId } from './event-id.js';
import type { PositionedEvent } from './feed-source.js';
import type { WatchMessage } from './workflow-event.js';
import { WatchIterator } from './watch-iterator.js';

const LIMIT = 5;

function event(ms: number): PositionedEvent {
  const position = { ms, seq: 0, shard: 0 };
  return {
    position,
    event: { eventId: formatEventId(position), id: 'w', op: 'updated', version: ms, type: 't', status: 's', at: new Date(ms).toISOString(), tenant: 'default' },
  };
}

const events = (from: number, to: number): PositionedEvent[] => Array.from({ length: to - from + 1 }, (_, i) => event(from + i));

/** A watch with a small limit, and its consumer that takes every message as soon as it can (in microtasks). */
function drained(): { watch: WatchIterator; taken: string[]; settle: () => Promise<void> } {
  const watch = new WatchIterator({}, undefined, () => undefined, LIMIT);
  const taken: string[] = [];
  void (async () => {
    for await (const message of watch) taken.push(text(message));
  })();
  return { watch, taken, settle: () => new Promise((resolve) => setImmediate(resolve)) };
}

const text = (message: WatchMessage): string => (message.kind === 'event' ? String(message.event.version) : `reset:${message.reason}`);

/** Everything the watch holds, without waiting for more. */
function queued(watch: WatchIterator): string[] {
  const out: string[] = [];
  while (watch.backlog > 0) {
    void watch.next().then(({ value }) => out.push(text(value as WatchMessage)));
  }
  return out;
}

describe('WatchIterator', () => {
  it('a batch larger than the limit, to a consumer that keeps up, is delivered whole with no reset', async () => {
    const { watch, taken, settle } = drained();
    watch.deliver(events(1, 3 * LIMIT));
    await settle(); // the feed's next batch comes in a later turn of the loop
    watch.deliver(events(3 * LIMIT + 1, 3 * LIMIT + 2));
    await settle();
    expect(taken).toEqual(events(1, 3 * LIMIT + 2).map((e) => String(e.event.version)));
    watch.close();
  });

  it('a consumer that holds the limit when more arrives loses what it holds: a reset overflow, then the new batch', async () => {
    const watch = new WatchIterator({}, undefined, () => undefined, LIMIT);
    watch.deliver(events(1, LIMIT - 1));
    watch.deliver(events(LIMIT, LIMIT + 2)); // held LIMIT - 1: still room, so no reset
    expect(watch.backlog).toBe(LIMIT + 2);
    watch.deliver(events(LIMIT + 3, LIMIT + 4));
    const out = queued(watch);
    await Promise.resolve();
    expect(out).toEqual(['reset:overflow', String(LIMIT + 3), String(LIMIT + 4)]);
    watch.close();
  });

  it("a resume's past and the live events held meanwhile are one batch, however many", async () => {
    const { watch, taken, settle } = drained();
    watch.hold();
    watch.deliver(events(2 * LIMIT + 1, 3 * LIMIT));
    watch.release(events(1, 2 * LIMIT));
    await settle();
    expect(taken).toEqual(events(1, 3 * LIMIT).map((e) => String(e.event.version)));
    watch.close();
  });

  it('holds any number of live events while a resume is read (200 000, more than a spread may pass)', async () => {
    const { watch, taken, settle } = drained();
    watch.hold();
    watch.deliver(events(2, 200_001));
    watch.release(events(1, 1));
    await settle();
    expect(taken.length).toBe(200_001);
    expect(taken.every((version, i) => version === String(i + 1))).toBe(true);
    watch.close();
  });

  it('a resume that is a reset delivers the reset, then the held live events', async () => {
    const { watch, taken, settle } = drained();
    watch.hold();
    watch.deliver(events(1, 2 * LIMIT));
    watch.release('trimmed');
    await settle();
    expect(taken).toEqual(['reset:trimmed', ...events(1, 2 * LIMIT).map((e) => String(e.event.version))]);
    watch.close();
  });
});
