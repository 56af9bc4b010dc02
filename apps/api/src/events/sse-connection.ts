import type { EventEmitter } from 'node:events';
import { frameOf, HEARTBEAT_FRAME, RETRY_FRAME } from './sse-frames.js';
import type { WatchMessage } from './watch-types.js';

/** Response headers as Fastify holds them (`reply.getHeaders()`). */
export type HeaderValues = Record<string, number | string | string[] | undefined>;

/** What an SSE connection writes to: the raw `ServerResponse` of a hijacked reply (a fake in unit tests). */
export interface SseSink extends EventEmitter {
  writeHead(status: number, headers: HeaderValues): unknown;
  write(chunk: string): boolean;
  end(): unknown;
  destroy(): unknown;
  readonly writableLength: number;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

export interface SseLimits {
  heartbeatMs: number;
  /** Bytes the socket may hold unsent; a client further behind is dropped (it resumes with Last-Event-ID). */
  maxBufferedBytes: number;
  /** How long a full socket buffer may take to drain before the client is dropped. */
  drainTimeoutMs: number;
  /** After the stream is ended, how long the last bytes may take to flush before the socket is destroyed. */
  endGraceMs: number;
}

/** `session-ended`: a board session's key was revoked while its stream was open. */
export type SseDropReason = 'slow' | 'feed-error' | 'shutdown' | 'session-ended';

/** What the connection reports (metrics, logs). */
export interface SseObserver {
  sent(): void;
  dropped(reason: SseDropReason, error?: unknown): void;
}

/** The stream's own headers; the reply's headers set so far (X-Request-Id, rate-limit headers) come before them. */
export const SSE_HEADERS: HeaderValues = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // nginx buffers proxied responses by default; this header turns that off for this response only.
  'x-accel-buffering': 'no',
};

/**
 * One open event stream: drains the watch into the socket, one frame per message, with heartbeats.
 *
 * The watch is consumed by this loop alone and its queue is bounded by the store, so a slow socket never holds up
 * the feed or other clients: while this loop waits for the socket to drain, the watch queues (and past its bound
 * turns the backlog into a reset). The loop stops taking messages whenever `write` reports a full buffer, so the
 * socket holds at most its high-water mark and one frame; a client whose buffer does not drain within
 * `drainTimeoutMs` is dropped, and `maxBufferedBytes` catches anything else that piles up. A dropped client
 * reconnects with Last-Event-ID and loses nothing the feed still holds.
 */
export class SseConnection {
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Set while the loop waits for `drain`; called with false when the wait is abandoned. */
  private wakeDrain: ((drained: boolean) => void) | undefined;
  private resolveDone: () => void = () => undefined;
  /** Resolves once the stream has ended (the response is ended or destroyed, the watch closed). */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly sink: SseSink,
    private readonly messages: AsyncIterableIterator<WatchMessage>,
    private readonly limits: SseLimits,
    private readonly observer: SseObserver,
  ) {}

  /** Sends the head and the reconnection hint, then streams until the client leaves, `end` is called or the feed fails. */
  start(headers: HeaderValues): void {
    // The client may have gone while the watch was starting: its 'close' has already been emitted.
    if (this.sink.destroyed) {
      this.finish();
      return;
    }
    this.sink.on('close', this.onClose);
    this.sink.writeHead(200, { ...headers, ...SSE_HEADERS });
    this.sink.write(RETRY_FRAME);
    this.heartbeat = setInterval(() => this.beat(), this.limits.heartbeatMs);
    this.heartbeat.unref();
    void this.pump();
  }

  /** Ends the stream from the server side (shutdown): the response ends cleanly, the client reconnects elsewhere. */
  end(reason: SseDropReason): void {
    if (this.closed) return;
    this.observer.dropped(reason);
    this.stop();
  }

  private readonly onClose = (): void => this.stop();

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const next = await this.messages.next();
        if (next.done || this.closed) break;
        if (!(await this.write(frameOf(next.value)))) break;
        this.observer.sent();
      }
    } catch (error) {
      // The feed could not be read: end the response; the client resumes from its last id once the feed is back.
      if (!this.closed) this.observer.dropped('feed-error', error);
    } finally {
      this.finish();
    }
  }

  /** Writes one frame; false when the client is gone or was dropped as too slow. */
  private async write(frame: string): Promise<boolean> {
    if (this.closed) return false;
    const flushed = this.sink.write(frame);
    if (this.tooFarBehind()) return false;
    if (flushed) return true;
    if (await this.drained()) return !this.closed;
    if (!this.closed) this.drop();
    return false;
  }

  private beat(): void {
    // While the loop waits for a drain the connection is not idle, and another frame would only add to the backlog.
    if (this.closed || this.wakeDrain) return;
    this.sink.write(HEARTBEAT_FRAME);
    this.tooFarBehind();
  }

  private tooFarBehind(): boolean {
    if (this.sink.writableLength <= this.limits.maxBufferedBytes) return false;
    this.drop();
    return true;
  }

  /** Resolves true on `drain`, false after `drainTimeoutMs` or when the stream stops meanwhile. */
  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const settle = (drained: boolean): void => {
        clearTimeout(timer);
        this.sink.off('drain', onDrain);
        this.wakeDrain = undefined;
        resolve(drained);
      };
      const onDrain = (): void => settle(true);
      const timer = setTimeout(() => settle(false), this.limits.drainTimeoutMs);
      this.sink.on('drain', onDrain);
      this.wakeDrain = settle;
    });
  }

  /** A client too slow to keep up: its buffered bytes are dropped with the socket (it resumes with Last-Event-ID). */
  private drop(): void {
    if (this.closed) return;
    this.observer.dropped('slow');
    this.stop();
    this.sink.destroy();
  }

  /** Stops the loop: the watch is closed (a pending `next` resolves as done) and a drain wait is abandoned. */
  private stop(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    void this.messages.return?.();
    this.wakeDrain?.(false);
  }

  /** Ends the response (once): bytes still buffered get `endGraceMs` to flush, then the socket is destroyed. */
  private finish(): void {
    this.stop();
    this.sink.off('close', this.onClose);
    if (!this.sink.writableEnded && !this.sink.destroyed) {
      this.sink.end();
      if (this.sink.writableLength > 0) {
        const timer = setTimeout(() => this.sink.destroy(), this.limits.endGraceMs);
        timer.unref();
        this.sink.once('close', () => clearTimeout(timer));
      }
    }
    this.resolveDone();
  }
}
