import { comparePositions, type EventPosition } from './event-id.js';
import type { FeedSource, PositionedEvent } from './feed-source.js';
import { WatchIterator } from './watch-iterator.js';
import type { WatchFilter } from './workflow-event.js';

export interface EventHubOptions {
  /** Recent events kept in process, so a client that reconnects soon resumes without reading the backend. */
  recentLimit: number;
  /** How long the hub keeps following after its last watch ends (a reconnecting client finds it still warm). */
  lingerMs: number;
  /**
   * The feed's retention: a resume point older than it is `trimmed` even while the recent buffer still holds it, so
   * every replica answers the same point the same way.
   */
  retentionMs: number;
}

export const DEFAULT_HUB_OPTIONS = { recentLimit: 10_000, lingerMs: 60_000 } as const;

/**
 * One tenant's feed in one process: it follows the source once and fans events out to every watch of the tenant
 * (SSE clients, `watch` iterators), filtering per watch. It follows only while someone watches (plus a linger).
 *
 * Invariant: `delivered` is the position of the last event passed on (or where following started); every event up
 * to it has been passed to every watch that was live then, and `recent` holds every event in (recentFrom,
 * delivered]. A resume from an older point reads (after, delivered] from the source while live events are held
 * back, so it neither loses nor repeats an event.
 */
export class EventHub {
  private readonly watches = new Set<WatchIterator>();
  private starting: Promise<void> | undefined;
  private delivered: EventPosition | undefined;
  private readonly recent: PositionedEvent[] = [];
  private recentFrom: EventPosition | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly source: FeedSource,
    private readonly options: EventHubOptions,
    /** Told of events that arrived late (see `deliver`), to log them. */
    private readonly onGap?: (late: PositionedEvent[]) => void,
  ) {}

  /** Watches currently served. */
  get size(): number {
    return this.watches.size;
  }

  /** A live watch: starts following if needed (rejects when the backend cannot be reached), then resumes or goes live. */
  async watch(filter: WatchFilter, after: EventPosition | undefined, signal?: AbortSignal): Promise<WatchIterator> {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    await this.start();
    const delivered = this.delivered as EventPosition;
    const onAbort = (): void => watch.close();
    const watch = new WatchIterator(filter, after ?? delivered, (closed) => {
      signal?.removeEventListener('abort', onAbort);
      this.remove(closed);
    });
    this.watches.add(watch);
    if (signal?.aborted) watch.close();
    else signal?.addEventListener('abort', onAbort, { once: true });
    if (after && comparePositions(after, delivered) < 0) this.resume(watch, after, delivered);
    else if (after && comparePositions(after, delivered) > 0) this.checkFuture(watch, after);
    return watch;
  }

  /** Stops following and ends every watch. */
  close(): void {
    this.closed = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    for (const watch of [...this.watches]) watch.close();
    this.stop();
  }

  private start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    this.starting ??= this.source.follow((events) => this.deliver(events)).then(
      (from) => {
        // Events delivered while `follow` resolved came after `from`; keep the later position.
        if (!this.delivered || comparePositions(from, this.delivered) > 0) this.delivered = from;
        this.recentFrom ??= from;
      },
      (error: unknown) => {
        this.starting = undefined;
        throw error;
      },
    );
    return this.starting;
  }

  private stop(): void {
    if (!this.starting) return;
    this.source.stop();
    this.starting = undefined;
    this.delivered = undefined;
    this.recentFrom = undefined;
    this.recent.length = 0;
  }

  private deliver(arrived: PositionedEvent[]): void {
    // An event at or before what was already passed on came late (a Cluster slot moved while it was written, a clock
    // stepped back across a failover): the watches cannot get it in order any more, so they are told to reload.
    const delivered = this.delivered;
    const isLate = (entry: PositionedEvent): boolean => delivered !== undefined && comparePositions(entry.position, delivered) <= 0;
    const late = arrived.filter(isLate);
    // Not `!late.includes(entry)`: after a failover both may be large, and that is their product.
    const events = late.length > 0 ? arrived.filter((entry) => !isLate(entry)) : arrived;
    if (late.length > 0) {
      this.onGap?.(late);
      for (const watch of this.watches) watch.reset('gap');
      // The recent buffer lacks the late events: a resume from before them must read the backend, which has them.
      this.recent.length = 0;
      this.recentFrom = this.delivered;
    }
    if (events.length === 0) return;
    this.recentFrom ??= events[0]?.position;
    this.delivered = (events[events.length - 1] as PositionedEvent).position;
    for (const entry of events) this.recent.push(entry); // not push(...events): a batch can exceed the argument limit
    const excess = this.recent.length - this.options.recentLimit;
    if (excess > 0) this.recentFrom = (this.recent.splice(0, excess).pop() as PositionedEvent).position;
    for (const watch of this.watches) watch.deliver(events);
  }

  /** Past events for a watch that resumes from before `delivered`: from memory when recent, else from the source. */
  private resume(watch: WatchIterator, after: EventPosition, upTo: EventPosition): void {
    const recentFrom = this.recentFrom as EventPosition;
    if (after.ms < Date.now() - this.options.retentionMs) {
      watch.hold();
      watch.release('trimmed');
      return;
    }
    if (comparePositions(after, recentFrom) >= 0) {
      watch.hold();
      watch.release(this.recent.filter((entry) => comparePositions(entry.position, after) > 0));
      return;
    }
    watch.hold();
    this.source.readRange(after, upTo).then(
      (past) => watch.release(past),
      (error: unknown) => watch.fail(error),
    );
  }

  /** A resume point past everything delivered: fine if it is only ahead of this replica, a reset if from the future. */
  private checkFuture(watch: WatchIterator, after: EventPosition): void {
    watch.hold();
    this.source.now().then(
      (now) => (after.ms > now ? watch.restart() : watch.release([])),
      (error: unknown) => watch.fail(error),
    );
  }

  private remove(watch: WatchIterator): void {
    this.watches.delete(watch);
    if (this.watches.size > 0 || this.closed || this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.watches.size === 0) this.stop();
    }, this.options.lingerMs);
    this.lingerTimer.unref();
  }
}
