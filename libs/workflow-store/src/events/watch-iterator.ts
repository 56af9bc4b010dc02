import type { PositionedEvent } from './feed-source.js';
import { comparePositions, type EventPosition } from './event-id.js';
import { MessageQueue } from './message-queue.js';
import type { WatchFilter, WatchMessage, WatchResetReason } from './workflow-event.js';

/**
 * Messages a watch may hold for a consumer that has not taken them: when more events arrive while it holds this
 * many, it gets a reset instead of the backlog.
 */
export const WATCH_QUEUE_LIMIT = 10_000;

/**
 * One consumer of the hub: a bounded queue and the async iterator that drains it. Events at or before `after` are
 * skipped, so a resume that overlaps live delivery repeats nothing.
 */
export class WatchIterator implements AsyncIterableIterator<WatchMessage> {
  private readonly queue = new MessageQueue<WatchMessage>();
  private waiting: { resolve: (result: IteratorResult<WatchMessage>) => void; reject: (error: unknown) => void } | undefined;
  private done = false;
  /** Why the watch ended, when it ended because the feed could not be read: the next `next` rejects with it. */
  private failure: unknown;
  /** While a resume is read from the backend, live events wait here (they come after everything it reads). */
  private held: PositionedEvent[] | undefined;

  constructor(
    private readonly filter: WatchFilter,
    private after: EventPosition | undefined,
    private readonly onClose: (watch: WatchIterator) => void,
    private readonly limit = WATCH_QUEUE_LIMIT,
  ) {}

  matches(event: PositionedEvent['event']): boolean {
    const { id, type, status } = this.filter;
    return (id === undefined || event.id === id) && (type === undefined || event.type === type) && (status === undefined || event.status === status);
  }

  /** Live events from the hub, in order. */
  deliver(events: readonly PositionedEvent[]): void {
    if (this.done) return;
    if (this.held) {
      for (const entry of events) this.held.push(entry); // not push(...events): a batch can exceed the argument limit
      return;
    }
    this.admit(events);
  }

  /** Holds live events back while a resume is read. */
  hold(): void {
    this.held ??= [];
  }

  /** Delivers what a resume read (the past), then what was held back (live), and goes live. */
  release(past: readonly PositionedEvent[] | WatchResetReason): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (typeof past === 'string') {
      this.reset(past);
      this.admit(held);
    } else this.admit(past, held);
  }

  /** The resume point is unknown to this feed: a reset, then live events from where the hub stands. */
  restart(): void {
    this.after = undefined;
    this.release('unknown');
  }

  reset(reason: WatchResetReason): void {
    this.push({ kind: 'reset', reason });
  }

  /**
   * Queues events that arrived together (a resume's past and the live events held meanwhile are one arrival). The
   * limit is judged once, against what the consumer has not taken yet: a batch larger than the limit (a resume's
   * past, what the feed read after a stall) is not a backlog, and splitting it would reset a consumer that keeps up.
   * A consumer still holding the limit loses what it holds and gets a reset, then this batch.
   */
  private admit(...batches: (readonly PositionedEvent[])[]): void {
    if (this.queue.length >= this.limit) {
      this.queue.clear();
      this.push({ kind: 'reset', reason: 'overflow' });
    }
    for (const batch of batches) for (const entry of batch) this.offer(entry);
  }

  private offer(entry: PositionedEvent): void {
    if (this.after && comparePositions(entry.position, this.after) <= 0) return;
    this.after = entry.position;
    if (this.matches(entry.event)) this.push({ kind: 'event', event: entry.event });
  }

  private push(message: WatchMessage): void {
    if (this.done) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: message, done: false });
      return;
    }
    this.queue.push(message);
  }

  /** Messages waiting to be taken. */
  get backlog(): number {
    return this.queue.length;
  }

  next(): Promise<IteratorResult<WatchMessage>> {
    const message = this.queue.shift();
    if (message) return Promise.resolve({ value: message, done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure instanceof Error ? failure : new Error(String(failure)));
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Ends the watch because the feed could not be read: messages already queued are still taken, then `next` rejects. */
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.onClose(this);
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(error);
      return;
    }
    this.failure = error;
  }

  return(): Promise<IteratorResult<WatchMessage>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the iterator: a pending `next` resolves as done, nothing more is delivered. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.queue.clear();
    this.onClose(this);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchMessage> {
    return this;
  }
}
