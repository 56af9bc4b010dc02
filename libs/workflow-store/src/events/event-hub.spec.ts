import { describe, expect, it } from '@jest/globals';
import { formatEventId, type EventPosition } from './event-id.js';
import { EventHub } from './event-hub.js';
import type { FeedSource, PositionedEvent } from './feed-source.js';
import type { WatchMessage } from './workflow-event.js';

/** A feed whose past and live events the test controls, with a readRange that resolves only when told. */
class ScriptedFeed implements FeedSource {
  readonly past: PositionedEvent[] = [];
  deliver: ((events: PositionedEvent[]) => void) | undefined;
  pendingRead: (() => void) | undefined;
  floorMs = 0;
  clockMs = 1_000_000;

  follow(deliver: (events: PositionedEvent[]) => void): Promise<EventPosition> {
    this.deliver = deliver;
    return Promise.resolve(this.past.at(-1)?.position ?? { ms: 0, seq: 0, shard: 0 });
  }
  stop(): void {
    this.deliver = undefined;
  }
  readRange(after: EventPosition, upTo: EventPosition): Promise<PositionedEvent[] | 'trimmed'> {
    return new Promise((resolve) => {
      this.pendingRead = () =>
        resolve(after.ms < this.floorMs ? 'trimmed' : this.past.filter((e) => e.position.ms > after.ms && e.position.ms <= upTo.ms));
    });
  }
  now(): Promise<number> {
    return Promise.resolve(this.clockMs);
  }
}

function event(ms: number, id = 'w'): PositionedEvent {
  const position = { ms, seq: 0, shard: 0 };
  return {
    position,
    event: { eventId: formatEventId(position), id, op: 'updated', version: ms, type: 't', status: 's', at: new Date(ms).toISOString(), tenant: 'default' },
  };
}

async function take(iterator: AsyncIterator<WatchMessage>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { value } = await iterator.next();
    const message = value as WatchMessage;
    out.push(message.kind === 'event' ? String(message.event.version) : `reset:${message.reason}`);
  }
  return out;
}

describe('EventHub', () => {
  it('a resume read from the source comes before the live events that arrived meanwhile, none twice', async () => {
    const feed = new ScriptedFeed();
    for (let ms = 1; ms <= 5; ms++) feed.past.push(event(ms));
    const hub = new EventHub(feed, { recentLimit: 2, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    const live = await hub.watch({}, undefined);
    feed.deliver?.([event(6), event(7), event(8)]); // the recent buffer now holds 7 and 8 only
    feed.past.push(event(6), event(7), event(8));
    const resumed = await hub.watch({}, { ms: 2, seq: 0, shard: 0 });
    feed.deliver?.([event(9)]); // live while the resume is being read
    feed.pendingRead?.();
    expect(await take(resumed, 7)).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(await take(live, 4)).toEqual(['6', '7', '8', '9']);
    hub.close();
  });

  it('a resume inside the recent buffer is served from memory', async () => {
    const feed = new ScriptedFeed();
    const hub = new EventHub(feed, { recentLimit: 10, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    await hub.watch({}, undefined);
    feed.deliver?.([event(1), event(2), event(3)]);
    const resumed = await hub.watch({}, { ms: 1, seq: 0, shard: 0 });
    expect(feed.pendingRead).toBeUndefined();
    expect(await take(resumed, 2)).toEqual(['2', '3']);
    hub.close();
  });

  it('a batch larger than a spread may pass (200 000 events, after a long stall) reaches a watch whole and fills the recent buffer', async () => {
    const feed = new ScriptedFeed();
    const hub = new EventHub(feed, { recentLimit: 250_000, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    const live = await hub.watch({}, undefined);
    const batch = Array.from({ length: 200_000 }, (_, i) => event(i + 1));
    feed.deliver?.(batch);
    const versions: number[] = [];
    while (versions.length < batch.length) {
      const { value } = await live.next();
      const message = value as WatchMessage;
      versions.push(message.kind === 'event' ? message.event.version : -1);
    }
    expect(versions.every((version, i) => version === i + 1)).toBe(true);
    const resumed = await hub.watch({}, { ms: 199_998, seq: 0, shard: 0 });
    expect(feed.pendingRead).toBeUndefined(); // from memory
    expect(await take(resumed, 2)).toEqual(['199999', '200000']);
    hub.close();
  });

  it('a trimmed resume point gives a reset, then live events', async () => {
    const feed = new ScriptedFeed();
    feed.past.push(event(10));
    feed.floorMs = 5;
    const hub = new EventHub(feed, { recentLimit: 10, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    const resumed = await hub.watch({}, { ms: 1, seq: 0, shard: 0 });
    feed.deliver?.([event(11)]);
    feed.pendingRead?.();
    expect(await take(resumed, 2)).toEqual(['reset:trimmed', '11']);
    hub.close();
  });

  it('an event id from the future gives a reset unknown, then every live event', async () => {
    const feed = new ScriptedFeed();
    const hub = new EventHub(feed, { recentLimit: 10, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    const resumed = await hub.watch({}, { ms: feed.clockMs + 5000, seq: 0, shard: 0 });
    feed.deliver?.([event(20)]);
    expect(await take(resumed, 2)).toEqual(['reset:unknown', '20']);
    hub.close();
  });

  it('filters per watch and ends a watch on abort', async () => {
    const feed = new ScriptedFeed();
    const hub = new EventHub(feed, { recentLimit: 10, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    const abort = new AbortController();
    const onlyA = await hub.watch({ id: 'a' }, undefined, abort.signal);
    feed.deliver?.([event(1, 'b'), event(2, 'a'), event(3, 'b')]);
    expect(await take(onlyA, 1)).toEqual(['2']);
    abort.abort();
    expect(await onlyA.next()).toEqual({ value: undefined, done: true });
    expect(hub.size).toBe(0);
    hub.close();
  });
});

describe('EventHub gaps', () => {
  it('an event older than what was delivered resets every watch, and a later resume reads the source (which has it)', async () => {
    const feed = new ScriptedFeed();
    const hub = new EventHub(feed, { recentLimit: 100, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    const live = await hub.watch({}, undefined);
    feed.deliver?.([event(1), event(3)]);
    feed.deliver?.([event(2), event(4)]); // 2 arrives after 3 went out
    feed.past.push(event(1), event(2), event(3), event(4));
    expect(await take(live, 4)).toEqual(['1', '3', 'reset:gap', '4']);
    const resumed = await hub.watch({}, { ms: 0, seq: 0, shard: 0 });
    expect(feed.pendingRead).toBeDefined(); // not served from the buffer, which lacks event 2
    feed.pendingRead?.();
    expect(await take(resumed, 4)).toEqual(['1', '2', '3', '4']);
    hub.close();
  });

  it('a batch of 100 000 late events among 100 000 new ones gives one reset, then the new ones in order, at once', async () => {
    const feed = new ScriptedFeed();
    const hub = new EventHub(feed, { recentLimit: 100, lingerMs: 1000, retentionMs: Number.POSITIVE_INFINITY });
    const live = await hub.watch({}, undefined);
    feed.deliver?.([event(200_000)]);
    const late = Array.from({ length: 100_000 }, (_, i) => event(i + 1));
    const later = Array.from({ length: 100_000 }, (_, i) => event(200_001 + i));
    const started = Date.now();
    feed.deliver?.([...late, ...later]);
    // Checking each new event against every late one took 8 s here; sorting them out takes milliseconds.
    const deliverMs = Date.now() - started;
    const messages = await take(live, 2 + later.length);
    expect(messages.slice(0, 3)).toEqual(['200000', 'reset:gap', '200001']);
    expect(messages.at(-1)).toBe('300000');
    expect(deliverMs).toBeLessThan(2000);
    hub.close();
  });
});
