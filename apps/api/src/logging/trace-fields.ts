import { context, trace } from '@opentelemetry/api';

export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * pino `mixin`: the ids of the span active where a line is logged (the request's HTTP span, or a store operation's),
 * so a log line can be found from a trace and back. Nothing when tracing is off or no span is active. Returns a new
 * object each call: pino merges the line's own fields into it.
 */
export function traceFields(): TraceFields {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!trace.isSpanContextValid(spanContext)) return {};
  const { traceId, spanId, traceFlags } = spanContext;
  return { trace_id: traceId, span_id: spanId, trace_flags: traceFlags.toString(16).padStart(2, '0') };
}
