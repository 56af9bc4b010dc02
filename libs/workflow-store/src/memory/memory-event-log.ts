import { comparePositions, formatEventId, type EventPosition } from '../events/event-id.js';
import type { FeedSource, PositionedEvent } from '../events/feed-source.js';
import type { WorkflowEvent, WorkflowEventOp } from '../events/workflow-event.js';

export interface EventLogLimits {
  retentionMs: number;
  maxEvents: number;
}

/**
 * The memory backend's change feed of one tenant: events appended by each write as it commits, kept for the
 * retention and up to the size cap (like one Redis shard stream), delivered to followers at once. Events do not
 * survive a restart: a resume point from before this process started is `trimmed`.
 */
export class MemoryEventLog implements FeedSource {
  private readonly events: PositionedEvent[] = [];
  /** Everything at or before it is gone (trimmed, or from before this process). */
  private floor: EventPosition;
  private last: EventPosition;
  private readonly followers = new Set<(events: PositionedEvent[]) => void>();

  constructor(
    private readonly tenant: string,
    private readonly limits: EventLogLimits,
  ) {
    const startMs = Date.now() - 1;
    this.floor = { ms: startMs, seq: Number.MAX_SAFE_INTEGER, shard: 0 };
    this.last = this.floor;
  }

  /** Records one event (called by the write it describes, synchronously, after it committed). */
  append(op: WorkflowEventOp, workflow: { id: string; version: number; type: string; status: string }, lease?: { token: number; owner: string }): void {
    if (this.limits.retentionMs === 0) return;
    const now = Date.now();
    const ms = Math.max(now, this.last.ms);
    const position = { ms, seq: ms === this.last.ms ? this.last.seq + 1 : 0, shard: 0 };
    this.last = position;
    const entry: PositionedEvent = {
      position,
      event: {
        eventId: formatEventId(position),
        id: workflow.id,
        op,
        version: workflow.version,
        type: workflow.type,
        status: workflow.status,
        at: new Date(ms).toISOString(),
        tenant: this.tenant,
        ...(lease ? { lease: { token: lease.token, owner: lease.owner } } : {}),
      },
    };
    this.events.push(entry);
    this.trim(now);
    for (const deliver of this.followers) deliver([entry]);
  }

  private trim(now: number): void {
    let drop = Math.max(0, this.events.length - this.limits.maxEvents);
    while (drop < this.events.length && (this.events[drop] as PositionedEvent).position.ms < now - this.limits.retentionMs) drop++;
    if (drop === 0) return;
    this.floor = (this.events[drop - 1] as PositionedEvent).position;
    this.events.splice(0, drop);
  }

  /** Up to `limit` events of workflow `id` still held, newest first (copies: the log's own go to followers). */
  eventsOf(id: string, limit: number): WorkflowEvent[] {
    this.trim(Date.now());
    const found: WorkflowEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && found.length < limit; i--) {
      const { event } = this.events[i] as PositionedEvent;
      if (event.id === id) found.push(structuredClone(event));
    }
    return found;
  }

  follow(deliver: (events: PositionedEvent[]) => void): Promise<EventPosition> {
    this.followers.add(deliver);
    return Promise.resolve(this.last);
  }

  stop(): void {
    this.followers.clear();
  }

  readRange(after: EventPosition, upTo: EventPosition): Promise<PositionedEvent[] | 'trimmed'> {
    this.trim(Date.now());
    if (comparePositions(after, this.floor) < 0) return Promise.resolve('trimmed');
    return Promise.resolve(
      this.events.filter((entry) => comparePositions(entry.position, after) > 0 && comparePositions(entry.position, upTo) <= 0),
    );
  }

  now(): Promise<number> {
    return Promise.resolve(Date.now());
  }
}
