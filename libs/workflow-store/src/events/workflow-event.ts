/**
 * What happened to a workflow. `expired`: the store observed that it expired (by its sweep, within a minute or so).
 * `lease-expired`: a lease ended without release (observed by the lease sweep); the workflow is stalled.
 */
export type WorkflowEventOp =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'touched'
  | 'restored'
  | 'expired'
  | 'lease-acquired'
  | 'lease-released'
  | 'lease-expired';

/** One entry of the change feed: recorded by the same atomic write it describes. */
export interface WorkflowEvent {
  /**
   * `<ms>-<seq>-<shard>`: the position of the event in the tenant's feed. Events of one workflow are in the order
   * they were written; across workflows the order is by the Redis server's clock (ms), then `seq` and shard.
   * Pass it back as `after` (or `Last-Event-ID`) to resume right after this event.
   */
  eventId: string;
  /** The workflow's id. */
  id: string;
  op: WorkflowEventOp;
  /** The version the write left (for `deleted` and `expired`: the last version). */
  version: number;
  type: string;
  status: string;
  /** When it was recorded (ISO-8601 UTC, the store's clock). */
  at: string;
  tenant: string;
  /** For lease events: the lease's token and owner. */
  lease?: { token: number; owner: string };
}

/** Which events a watch receives: all of the tenant's, or those of one workflow, type and/or status. */
export interface WatchFilter {
  id?: string;
  type?: string;
  status?: string;
}

export interface WatchOptions {
  /**
   * Resume after this event id (from an earlier event): every later event matching the filter is delivered, none
   * twice. Without it the watch starts live, with the next write.
   */
  after?: string;
  /** Ends the watch (the iterator returns) when aborted. */
  signal?: AbortSignal;
}

/** Options of `events` (one workflow's events). */
export interface WorkflowEventsOptions {
  /** At most this many events, the newest: 1–1000. Default 100. */
  limit?: number;
}

/**
 * Why a watch could not resume where it was asked to, or could not keep up: the caller should reload the state it
 * follows. `trimmed`: the resume point is older than what the feed still holds (retention or size cap);
 * `unknown`: the event id is from the future of this store (another store, a flushed Redis); `overflow`: the
 * consumer still held a full buffer (10 000 messages it had not taken) when more events arrived; `gap`: the feed found an event it had already passed (a
 * Redis Cluster slot moved while it was written, a clock stepped back across a failover).
 */
export type WatchResetReason = 'trimmed' | 'unknown' | 'overflow' | 'gap';

/** What a watch yields: an event, or a reset (the events before it cannot be delivered; live events follow). */
export type WatchMessage = { kind: 'event'; event: WorkflowEvent } | { kind: 'reset'; reason: WatchResetReason };
