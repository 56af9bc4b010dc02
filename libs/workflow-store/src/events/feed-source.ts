import type { EventPosition } from './event-id.js';
import type { WorkflowEvent } from './workflow-event.js';

/** An event with its position in the tenant's feed. */
export interface PositionedEvent {
  position: EventPosition;
  event: WorkflowEvent;
}

/**
 * Where one tenant's events come from, for the process-wide hub (event-hub.ts): the Redis streams of its shards, or
 * the memory backend's log. A source delivers in position order, each event once.
 */
export interface FeedSource {
  /**
   * Starts following the feed and resolves with the position live delivery starts after: every event after it is
   * passed to `deliver`, in order, exactly once, until `stop` (across reconnects: a source catches up by itself);
   * every event up to it is in the past (readable with `readRange`). Rejects when the backend cannot be reached.
   */
  follow(deliver: (events: PositionedEvent[]) => void): Promise<EventPosition>;
  stop(): void;
  /**
   * The events after `after` up to and including `upTo` (a position already delivered or returned by `follow`), in
   * order; `trimmed` when the feed may no longer hold all of them.
   */
  readRange(after: EventPosition, upTo: EventPosition): Promise<PositionedEvent[] | 'trimmed'>;
  /** The backend's clock (ms), to tell an event id from the future. */
  now(): Promise<number>;
}
