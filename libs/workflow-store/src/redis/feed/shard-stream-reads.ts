import { comparePositions, positionOfStreamId, type EventPosition } from '../../events/event-id.js';
import type { PositionedEvent } from '../../events/feed-source.js';
import type { StoreRedisClient } from '../redis-client.types.js';
import { eventOfEntry, type StreamEntry } from './stream-events.js';

/** Entries one XRANGE reads. */
const PAGE = 1000;

async function xrange(client: StoreRedisClient, key: string, start: string, end: string): Promise<StreamEntry[]> {
  return (await client.xrange(key, start, end, 'COUNT', PAGE)) as StreamEntry[];
}

function eventsOf(entries: StreamEntry[], shard: number, tenant: string): PositionedEvent[] {
  const events: PositionedEvent[] = [];
  for (const entry of entries) {
    const event = eventOfEntry(entry, shard, tenant);
    if (event) events.push(event);
  }
  return events;
}

/** One page of a shard's stream from `from` on: its events, the last id read, and whether more may follow. */
export async function readShardTail(
  client: StoreRedisClient,
  key: string,
  shard: number,
  tenant: string,
  from: string,
): Promise<{ events: PositionedEvent[]; last: string | undefined; more: boolean }> {
  const entries = await xrange(client, key, from, '+');
  return { events: eventsOf(entries, shard, tenant), last: entries[entries.length - 1]?.[0], more: entries.length === PAGE };
}

/** The shard's events after `after` up to and including `upTo` in the feed's order (position, then shard). */
export async function readShardRange(
  client: StoreRedisClient,
  key: string,
  shard: number,
  tenant: string,
  after: EventPosition,
  upTo: EventPosition,
): Promise<PositionedEvent[]> {
  // In this shard, an entry equal in (ms, seq) to `after` comes after it only if the shard number is higher.
  let start = `${shard > after.shard ? '' : '('}${after.ms}-${after.seq}`;
  const end = `${shard <= upTo.shard ? '' : '('}${upTo.ms}-${upTo.seq}`;
  const events: PositionedEvent[] = [];
  for (;;) {
    const entries = await xrange(client, key, start, end);
    events.push(...eventsOf(entries, shard, tenant));
    const last = entries[entries.length - 1]?.[0];
    if (entries.length < PAGE || last === undefined) return events;
    start = `(${last}`;
  }
}

/**
 * Whether the shard's stream may have lost (by its count or age trim) an entry after `after`: entries were removed
 * (more were added than it holds) and the oldest one left, or the last ever added when none is left, is after it.
 * An absent stream lost nothing that matters: it expires only the retention after its newest entry, and the caller
 * checks the retention first.
 */
export async function streamTrimmedAfter(client: StoreRedisClient, key: string, after: EventPosition, shard: number): Promise<boolean> {
  let info: unknown[];
  try {
    info = (await client.xinfo('STREAM', key)) as unknown[];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return false;
    throw error;
  }
  const field = (name: string): unknown => info[info.indexOf(name) + 1];
  const length = Number(field('length'));
  const added = Number(field('entries-added'));
  if (!(added > length)) return false;
  const first = field('first-entry') as StreamEntry | null;
  const oldest = first ? first[0] : String(field('last-generated-id'));
  return comparePositions(positionOfStreamId(oldest, shard), after) > 0;
}
