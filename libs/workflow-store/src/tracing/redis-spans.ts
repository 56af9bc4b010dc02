import { tracingChannel, type TracingChannelSubscribers } from 'node:diagnostics_channel';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** The instrumentation scope of the Redis command spans. */
export const REDIS_TRACER_NAME = 'workflow-store/ioredis';

/**
 * What ioredis 6 publishes on its `ioredis:command` and `ioredis:batch` tracing channels (built/tracing.js,
 * `_buildCommandContext` / `_buildBatchContext` in built/Redis.js). The same object is passed to every event of one
 * command, so it carries the command's span from `start` to `asyncEnd`.
 */
interface RedisTraceMessage {
  command?: string;
  batchMode?: string;
  batchSize?: number;
  database?: number;
  serverAddress?: string;
  serverPort?: number;
  error?: unknown;
}

export interface RedisTracingOptions {
  /**
   * Only trace commands sent while a recording span is active (a store operation's): background commands (the change
   * feed's blocking reads, the sweeper) then make no single-span traces, nor grow an ended operation's trace.
   * Default true.
   */
  requireParentSpan?: boolean;
}

/**
 * Client spans for the Redis commands ioredis sends, from ioredis 6's own `diagnostics_channel` tracing (no monkey
 * patching; `@opentelemetry/instrumentation-ioredis` supports ioredis < 6 only). A span is the child of the span
 * active when the command was sent, i.e. of the store operation that sent it. It names the command, never its
 * arguments: keys, ids and state stay out of traces. Returns a function that unsubscribes.
 */
export function traceRedisCommands(options: RedisTracingOptions = {}): () => void {
  const requireParent = options.requireParentSpan ?? true;
  const tracer = trace.getTracer(REDIS_TRACER_NAME);
  const spans = new WeakMap<object, Span>();

  const subscribers = (kind: 'command' | 'batch'): TracingChannelSubscribers<object> => ({
    start(message) {
      const parent = context.active();
      // An ended parent is a context that outlived its operation (a loop started inside one, e.g. the change feed's
      // reads): its commands belong to no trace.
      if (requireParent && trace.getSpan(parent)?.isRecording() !== true) return;
      const m = message as RedisTraceMessage;
      const operation = kind === 'batch' ? (m.batchMode ?? 'MULTI') : (m.command ?? 'unknown').toUpperCase();
      const attributes: Attributes = {
        'db.system.name': 'redis',
        'db.operation.name': operation,
        'db.namespace': String(m.database ?? 0),
        'server.address': m.serverAddress,
        'server.port': m.serverPort,
      };
      if (kind === 'batch') attributes['db.operation.batch.size'] = m.batchSize;
      spans.set(message, tracer.startSpan(operation, { kind: SpanKind.CLIENT, attributes }, parent));
    },
    end() {},
    asyncStart() {},
    asyncEnd(message) {
      const span = spans.get(message);
      if (!span) return;
      spans.delete(message);
      const { error } = message as RedisTraceMessage;
      if (error !== undefined) {
        // The reply's error class and text (e.g. "ReplyError: NOSCRIPT ..."): no arguments are in it.
        const failure = error instanceof Error ? error : new Error(String(error));
        span.recordException(failure);
        span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
      }
      span.end();
    },
    // ioredis' traced function returns the command's promise and never throws, so a failure always ends in
    // `asyncEnd` (after `error`), where the span is closed.
    error() {},
  });

  const channels = [
    { channel: tracingChannel<unknown, object>('ioredis:command'), handlers: subscribers('command') },
    { channel: tracingChannel<unknown, object>('ioredis:batch'), handlers: subscribers('batch') },
  ];
  for (const { channel, handlers } of channels) channel.subscribe(handlers);
  return () => {
    for (const { channel, handlers } of channels) channel.unsubscribe(handlers);
  };
}
