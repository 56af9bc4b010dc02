import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/**
 * One blank-line-terminated block of a text/event-stream, as written (the SSE fields it had): `id`, `event`,
 * `data` (lines joined with \n), `retry`, and comment lines (without the leading colon and space).
 */
export interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

/** A workflow event as GET /events sends it. */
export interface StreamedEvent {
  eventId: string;
  id: string;
  op: string;
  version: number;
  type: string;
  status: string;
  at: string;
  tenant: string;
}

export interface SseOpenOptions {
  headers?: Record<string, string>;
  lastEventId?: string;
}

const DEFAULT_WAIT_MS = 15_000;

/**
 * An SSE client over node:http that keeps every block it parses, for tests: no reconnection of its own (a test
 * reconnects on purpose, with `lastEventId`), and `destroy()` cuts the socket like a lost network would. A non-SSE
 * answer (a problem) is read whole into `body`.
 */
export class SseClient {
  readonly blocks: SseBlock[] = [];
  /** The body of an answer that is not text/event-stream. */
  body = '';
  private buffer = '';
  private current: SseBlock = { comments: [] };
  private listeners = new Set<() => void>();
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(
    private readonly response: IncomingMessage,
    private readonly destroySocket: () => void,
  ) {
    response.setEncoding('utf8');
    const stream = this.isStream;
    response.on('data', (chunk: string) => {
      if (stream) this.parse(chunk);
      else this.body += chunk;
      this.notify();
    });
    this.closed = new Promise((resolve) => {
      const end = (): void => {
        if (this.ended) return;
        this.ended = true;
        this.notify();
        resolve();
      };
      response.once('end', end);
      response.once('close', end);
      response.once('error', end);
    });
  }

  /** Connects; resolves once the response head has arrived (for GET /events: once the watch is live). */
  static open(url: string, options: SseOpenOptions = {}): Promise<SseClient> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    return new Promise((resolve, reject) => {
      const req = request(url, { headers, agent: false }, (response) => {
        req.setTimeout(0); // the head is here: a quiet stream is not a dead one
        resolve(new SseClient(response, () => req.destroy()));
      });
      req.setTimeout(DEFAULT_WAIT_MS, () => req.destroy(new Error(`no answer from ${url} within ${DEFAULT_WAIT_MS} ms`)));
      req.once('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  get isStream(): boolean {
    return (this.response.headers['content-type'] ?? '').startsWith('text/event-stream');
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** The `event: workflow` blocks' data, parsed, in the order received. */
  get events(): StreamedEvent[] {
    return this.blocks.filter((b) => b.event === 'workflow' && b.data !== undefined).map((b) => JSON.parse(b.data as string) as StreamedEvent);
  }

  /** The id of the last complete block that had one: what an EventSource would send as Last-Event-ID. */
  get lastEventId(): string | undefined {
    for (let i = this.blocks.length - 1; i >= 0; i--) if (this.blocks[i]?.id !== undefined) return this.blocks[i]?.id;
    return undefined;
  }

  /** Resolves once `condition` holds (checked after every chunk); rejects after `timeoutMs` or if the stream ends first. */
  waitFor(condition: () => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          done();
          resolve();
        } else if (this.ended) {
          done();
          reject(new Error(`the stream ended before ${what} (${this.blocks.length} blocks received)`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.blocks.length} blocks, ${this.events.length} events received)`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Waits until an event matching `predicate` has arrived. */
  waitForEvent(predicate: (event: StreamedEvent) => boolean, what: string, timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.events.some(predicate), what, timeoutMs);
  }

  /** Cuts the connection (no clean end), as a lost network or a killed client would. */
  destroy(): void {
    this.destroySocket();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** The SSE line grammar: lines end with \r\n, \n or \r; a blank line ends a block; `field: value` or `: comment`. */
  private parse(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      // A lone \r at the end of the buffer may be the first half of \r\n: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    const block = this.current;
    if (line === '') {
      if (block.comments.length > 0 || Object.keys(block).length > 1) this.blocks.push(block);
      this.current = { comments: [] };
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      block.comments.push(line.slice(1).replace(/^ /, ''));
      return;
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
    else if (field === 'id' || field === 'event' || field === 'retry') block[field] = value;
  }
}
