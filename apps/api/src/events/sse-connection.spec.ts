import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { SseConnection, type HeaderValues, type SseDropReason, type SseLimits, type SseSink } from './sse-connection.js';
import type { WatchMessage, WorkflowEvent } from './watch-types.js';
import { eventually } from '../../../../test/support/eventually.js';

/** A response that records what is written; `full` makes write() report a full buffer, as a socket nobody reads. */
class FakeSink extends EventEmitter implements SseSink {
  head: { status: number; headers: HeaderValues } | undefined;
  chunks: string[] = [];
  full = false;
  writableLength = 0;
  writableEnded = false;
  destroyed = false;

  writeHead(status: number, headers: HeaderValues): this {
    this.head = { status, headers };
    return this;
  }

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    if (this.full) this.writableLength += Buffer.byteLength(chunk);
    return !this.full;
  }

  end(): this {
    this.writableEnded = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/** A watch whose messages the test pushes; records whether it was returned (unsubscribed). */
class FakeWatch implements AsyncIterableIterator<WatchMessage> {
  returned = false;
  private readonly queue: WatchMessage[] = [];
  private waiting: { resolve: (r: IteratorResult<WatchMessage>) => void; reject: (e: unknown) => void } | undefined;

  push(message: WatchMessage): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting.resolve({ value: message, done: false });
    else this.queue.push(message);
  }

  fail(error: Error): void {
    this.waiting?.reject(error);
    this.waiting = undefined;
  }

  next(): Promise<IteratorResult<WatchMessage>> {
    const message = this.queue.shift();
    if (message) return Promise.resolve({ value: message, done: false });
    if (this.returned) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<WatchMessage>> {
    this.returned = true;
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchMessage> {
    return this;
  }
}

const LIMITS: SseLimits = { heartbeatMs: 20, maxBufferedBytes: 4096, drainTimeoutMs: 50, endGraceMs: 50 };

function event(n: number): WatchMessage {
  const workflowEvent: WorkflowEvent = { eventId: `1700000000000-${n}-0`, id: 'wf-1', op: 'updated', version: n, type: 't', status: 's', at: '2026-01-01T00:00:00.000Z', tenant: 'default' };
  return { kind: 'event', event: workflowEvent };
}

function open(limits: SseLimits = LIMITS) {
  const sink = new FakeSink();
  const watch = new FakeWatch();
  const dropped: SseDropReason[] = [];
  let sent = 0;
  const connection = new SseConnection(sink, watch, limits, { sent: () => sent++, dropped: (reason) => dropped.push(reason) });
  connection.start({ 'x-request-id': 'r1' });
  return { sink, watch, dropped, connection, sent: () => sent };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SseConnection', () => {
  it('sends the head and the retry hint, then one frame per message: events with their id, resets without', async () => {
    const { sink, watch, sent, connection } = open({ ...LIMITS, heartbeatMs: 60_000 });
    watch.push(event(1));
    watch.push({ kind: 'reset', reason: 'trimmed' });
    watch.push(event(2));
    await tick();
    expect(sink.head?.status).toBe(200);
    expect(sink.head?.headers).toMatchObject({ 'x-request-id': 'r1', 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    const [first, second] = [event(1), event(2)].map((m) => (m.kind === 'event' ? m.event : undefined));
    expect(sink.text).toBe(
      'retry: 2000\n\n' +
        `id: ${first?.eventId}\nevent: workflow\ndata: ${JSON.stringify(first)}\n\n` +
        'event: reset\ndata: {"reason":"trimmed"}\n\n' +
        `id: ${second?.eventId}\nevent: workflow\ndata: ${JSON.stringify(second)}\n\n`,
    );
    expect(sent()).toBe(3);
    connection.end('shutdown');
    await connection.done;
    expect([watch.returned, sink.writableEnded, sink.destroyed]).toEqual([true, true, false]);
  });

  it('writes heartbeat comments without an id while idle', async () => {
    const { sink, connection } = open();
    const beats = () => sink.chunks.filter((c) => c === ': hb\n\n').length;
    // Waits for the second beat rather than a fixed time: a loaded machine may run one 20 ms interval late, and a
    // single beat (a timeout, not an interval) still fails after the deadline.
    await eventually(() => beats() >= 2, 'two heartbeats', 2_000, 10).catch(() => undefined); // judged below
    connection.end('shutdown');
    expect(beats()).toBeGreaterThanOrEqual(2);
    expect(sink.text).not.toContain('id:');
  });

  it('drops a client whose buffer does not drain in time, and unsubscribes', async () => {
    const { sink, watch, dropped, connection } = open({ ...LIMITS, heartbeatMs: 60_000 });
    sink.full = true;
    watch.push(event(1));
    await connection.done;
    expect([sink.destroyed, watch.returned, dropped]).toEqual([true, true, ['slow']]);
  });

  it('keeps a client whose buffer drains in time', async () => {
    const { sink, watch, dropped, connection } = open({ ...LIMITS, heartbeatMs: 60_000, drainTimeoutMs: 5_000 });
    sink.full = true;
    watch.push(event(1));
    watch.push(event(2));
    await tick();
    sink.full = false;
    sink.writableLength = 0;
    sink.emit('drain');
    await tick();
    expect(sink.text).toContain('data: {"eventId":"1700000000000-2-0"');
    expect(dropped).toEqual([]);
    connection.end('shutdown');
    await connection.done;
  });

  it('drops a client at once when more than maxBufferedBytes are waiting, even if write() did not say full', async () => {
    const { sink, watch, dropped, connection } = open({ ...LIMITS, heartbeatMs: 60_000, drainTimeoutMs: 60_000, maxBufferedBytes: 300 });
    sink.writableLength = 301;
    watch.push(event(1));
    await connection.done;
    expect([sink.destroyed, watch.returned, dropped]).toEqual([true, true, ['slow']]);
  });

  it('unsubscribes when the client goes away', async () => {
    const { sink, watch, dropped, connection } = open();
    sink.destroy();
    await connection.done;
    expect([watch.returned, dropped]).toEqual([true, []]);
  });

  it('ends the response when the feed cannot be read', async () => {
    const { sink, watch, dropped, connection } = open({ ...LIMITS, heartbeatMs: 60_000 });
    await tick();
    watch.fail(new Error('feed unreadable'));
    await connection.done;
    expect([sink.writableEnded, sink.destroyed, dropped]).toEqual([true, false, ['feed-error']]);
  });

  it('does not start on a client that left while the watch was starting', async () => {
    const sink = new FakeSink();
    sink.destroyed = true;
    const watch = new FakeWatch();
    const connection = new SseConnection(sink, watch, LIMITS, { sent: () => undefined, dropped: () => undefined });
    connection.start({});
    await connection.done;
    expect([sink.head, sink.chunks, watch.returned]).toEqual([undefined, [], true]);
  });
});
