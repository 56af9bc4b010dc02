import { ProblemError } from './errors.js';
import { retryDelayMs, sleep, type RetryPolicy } from './retry.js';
import { SseParser } from './sse-parser.js';
import type { HttpTransport, RequestSpec } from './transport.js';
import type { WatchMessage, WatchResetReason, WorkflowEvent } from './types.js';

export interface WatchOptions {
  /** Only events whose workflow has this type / status after the write (`GET /events`; not with `id`). */
  type?: string;
  status?: string;
  /** Only this workflow's events (`GET /workflows/:id/events`); it need not exist yet. */
  id?: string;
  /** Resume right after this event id; without it the watch starts live. */
  after?: string;
  /** Ends the watch (like `return()`). */
  signal?: AbortSignal;
  /**
   * Reconnect when nothing (not even a heartbeat) arrived for this long: a silently dead connection. Default
   * 45 000 ms, three times the service's default SSE_HEARTBEAT_MS.
   */
  idleTimeoutMs?: number;
}

/** Before the service's `retry:` hint arrives (it is the stream's first frame). */
const DEFAULT_RECONNECT_MS = 1000;
const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

/**
 * The change feed as an async iterator over `fetch` (no EventSource: Node has none, and EventSource cannot send
 * an Authorization header). When the connection drops or ends it reconnects after the service's `retry:` hint
 * (longer while reconnects keep failing) with `Last-Event-ID` = the last event it yielded, so the service resumes
 * right after it: nothing lost, nothing repeated. A problem answer (400, 401, 404, 501) ends the iteration with it.
 */
export class WatchStream implements AsyncIterableIterator<WatchMessage> {
  private lastId: string | undefined;
  private readonly queue: WatchMessage[] = [];
  private connection: AbortController | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private parser = new SseParser();
  private decoder = new TextDecoder();
  private reconnectMs = DEFAULT_RECONNECT_MS;
  private closed = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly closer = new AbortController();
  /** Connections opened after the first: how often the feed was resumed. */
  reconnects = 0;

  constructor(
    private readonly transport: HttpTransport,
    private readonly retry: RetryPolicy,
    private readonly options: WatchOptions,
  ) {
    this.lastId = options.after;
    if (options.signal?.aborted) this.closed = true;
    else options.signal?.addEventListener('abort', () => void this.return(), { once: true });
  }

  /** The id of the last event yielded: where a new watch (`after`) would resume. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Opens the first connection; resolves once the service's watch is live (its response head is in). */
  async start(): Promise<this> {
    if (!this.closed) await this.connect();
    return this;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<WatchMessage>> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued) {
        if (queued.kind === 'event') this.lastId = queued.event.eventId;
        return { done: false, value: queued };
      }
      if (this.closed) return { done: true, value: undefined };
      const chunk = await this.read();
      if (chunk === undefined) await this.resume();
      else this.take(chunk);
    }
  }

  /** Ends the watch: aborts the request; a pending `next()` resolves done. */
  async return(): Promise<IteratorResult<WatchMessage>> {
    this.closed = true;
    this.closer.abort();
    this.dropConnection();
    return { done: true, value: undefined };
  }

  /** Reads the next chunk; undefined when the connection ended, broke or went idle. */
  private async read(): Promise<Uint8Array | undefined> {
    const reader = this.reader;
    if (!reader) return undefined;
    this.armIdleTimer();
    try {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    } catch {
      return undefined;
    } finally {
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    }
  }

  private take(chunk: Uint8Array): void {
    for (const frame of this.parser.push(this.decoder.decode(chunk, { stream: true }))) {
      if (frame.event === 'workflow') this.queue.push({ kind: 'event', event: JSON.parse(frame.data) as WorkflowEvent });
      else if (frame.event === 'reset') this.queue.push({ kind: 'reset', reason: (JSON.parse(frame.data) as { reason: WatchResetReason }).reason });
    }
    if (this.parser.retryMs !== undefined) this.reconnectMs = this.parser.retryMs;
  }

  /** After a drop: waits, reconnects from the last event yielded; retries with backoff until it works or is closed. */
  private async resume(): Promise<void> {
    this.dropConnection();
    for (let failures = 0; !this.closed; failures++) {
      const backoff = failures === 0 ? 0 : retryDelayMs(this.retry, failures, undefined);
      try {
        await sleep(Math.max(this.reconnectMs, backoff), this.closer.signal);
        this.reconnects++;
        await this.connect();
        return;
      } catch (error) {
        if (this.closed) return;
        // 4xx/501 will not get better by reconnecting; 503 and network errors (after the transport's own retries) may.
        if (error instanceof ProblemError && error.status !== 503 && error.status !== 429) {
          this.closed = true;
          throw error;
        }
      }
    }
  }

  private async connect(): Promise<void> {
    const connection = new AbortController();
    this.connection = connection;
    const { id, type, status } = this.options;
    const spec: RequestSpec = {
      method: 'GET',
      path: id === undefined ? '/events' : `/workflows/${encodeURIComponent(id)}/events`,
      query: id === undefined ? { type, status } : {},
      // The header, not ?after=: the service prefers it, and it is what every reconnect sends anyway.
      headers: { 'last-event-id': this.lastId },
      accept: 'text/event-stream',
      retry: 'repeatable',
      signal: connection.signal,
    };
    const response = await this.transport.open(spec);
    if (!response.body) throw new TypeError('the event stream answered without a body');
    if (this.closed) {
      connection.abort();
      return;
    }
    // A fresh parser and decoder: a frame cut off with the old connection is never completed by the new one.
    this.parser = new SseParser();
    this.decoder = new TextDecoder();
    this.reader = response.body.getReader();
  }

  private dropConnection(): void {
    this.connection?.abort();
    this.connection = undefined;
    this.reader?.cancel().catch(() => undefined);
    this.reader = undefined;
    // next() resumes only once the queue is empty, so lastId (moved as events are yielded) is the last one received.
  }

  private armIdleTimer(): void {
    const ms = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const connection = this.connection;
    this.idleTimer = setTimeout(() => connection?.abort(), ms);
  }
}
