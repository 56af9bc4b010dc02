// Imported only when tracing is on (start-tracing.ts), and before the app's modules: the HTTP instrumentation hooks
// `require('node:http')` and must be enabled before Fastify loads it.
import { context, diag, DiagLogLevel, ROOT_CONTEXT, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Logger } from 'pino';
import { traceRedisCommands } from '#workflow-store';

/** service.name unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
const SERVICE_NAME = 'workflow-store';

const DIAG_LEVELS: Record<string, DiagLogLevel> = {
  NONE: DiagLogLevel.NONE,
  ERROR: DiagLogLevel.ERROR,
  WARN: DiagLogLevel.WARN,
  INFO: DiagLogLevel.INFO,
  DEBUG: DiagLogLevel.DEBUG,
  VERBOSE: DiagLogLevel.VERBOSE,
  ALL: DiagLogLevel.ALL,
};

/** The SDK's own diagnostics (e.g. an export that failed) as pino lines with context "OpenTelemetry". */
function diagLogger(log: Logger): DiagLogger {
  const child = log.child({ context: 'OpenTelemetry' });
  const text = (message: string, args: unknown[]): string =>
    [message, ...args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)))].join(' ');
  // Outside any span: an export runs in the context of the span that filled the batch, whose ids would mislead here.
  const write = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace', message: string, args: unknown[]): void =>
    context.with(ROOT_CONTEXT, () => child[level](text(message, args)));
  return {
    error: (message, ...args) => write('error', message, args),
    warn: (message, ...args) => write('warn', message, args),
    info: (message, ...args) => write('info', message, args),
    debug: (message, ...args) => write('debug', message, args),
    verbose: (message, ...args) => write('trace', message, args),
  };
}

/**
 * The tracer provider (W3C trace context + baggage propagation, AsyncLocalStorage context), an OTLP/HTTP exporter
 * (JSON; endpoint, headers, timeout and compression from the standard OTEL_EXPORTER_OTLP_* variables) behind a batch
 * processor (OTEL_BSP_*), the sampler from OTEL_TRACES_SAMPLER, HTTP server spans (with the caller's `traceparent` as
 * parent) and Redis command spans. Returns the shutdown, which flushes the spans still buffered.
 */
export function startTracingSdk(log: Logger, env: NodeJS.ProcessEnv = process.env): () => Promise<void> {
  diag.setLogger(diagLogger(log), { logLevel: DIAG_LEVELS[env.OTEL_LOG_LEVEL?.trim().toUpperCase() ?? 'WARN'] ?? DiagLogLevel.WARN, suppressOverrideMessage: true });
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': SERVICE_NAME }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  // Incoming requests only: the API makes no outgoing HTTP calls (the exporter's own are never traced).
  const http = new HttpInstrumentation({ enabled: false, disableOutgoingRequestInstrumentation: true });
  http.setTracerProvider(provider);
  http.enable();
  const stopRedis = traceRedisCommands();
  return async () => {
    stopRedis();
    http.disable();
    await provider.shutdown();
  };
}
