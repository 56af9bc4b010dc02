/**
 * An event's position in a tenant's feed: the Redis stream id of the shard it was recorded in (`ms-seq`) and the
 * shard. Positions are totally ordered by (ms, seq, shard); a replica delivers events in that order.
 */
export interface EventPosition {
  ms: number;
  seq: number;
  shard: number;
}

const EVENT_ID = /^(\d{1,15})-(\d{1,15})-(\d{1,5})$/;

export function formatEventId(position: EventPosition): string {
  return `${position.ms}-${position.seq}-${position.shard}`;
}

/** The position an event id names, or undefined when it is not one (`<ms>-<seq>-<shard>`, decimal). */
export function parseEventId(text: string): EventPosition | undefined {
  const match = EVENT_ID.exec(text);
  if (!match) return undefined;
  return { ms: Number(match[1]), seq: Number(match[2]), shard: Number(match[3]) };
}

export function comparePositions(a: EventPosition, b: EventPosition): number {
  return a.ms - b.ms || a.seq - b.seq || a.shard - b.shard;
}

/** The position of a Redis stream entry id (`ms-seq`) in `shard`. */
export function positionOfStreamId(streamId: string, shard: number): EventPosition {
  const dash = streamId.indexOf('-');
  return { ms: Number(streamId.slice(0, dash)), seq: Number(streamId.slice(dash + 1)), shard };
}
