import { ProxyTracerProvider, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { WorkflowStoreError, type WorkflowStoreErrorCode } from '../errors/workflow-store.error.js';

/** The instrumentation scope of the store's spans. */
export const STORE_TRACER_NAME = 'workflow-store';

/**
 * The store operations that get a span: every call that reads or writes workflows, leases or the feed. `forTenant`,
 * `checkpointStorage`, `connect` and `close` do not (they make views or manage the connection).
 */
export const TRACED_OPERATIONS = [
  'create',
  'get',
  'getJson',
  'getJsonBytes',
  'save',
  'saveJson',
  'update',
  'mutate',
  'delete',
  'list',
  'touch',
  'restore',
  'restoreWithHistory',
  'history',
  'getVersion',
  'acquireLease',
  'renewLease',
  'releaseLease',
  'getLease',
  'events',
  'watch',
  'count',
  'ping',
] as const;

export type TracedOperation = (typeof TRACED_OPERATIONS)[number];

/** Error codes that mean the store failed (span status ERROR); the other codes are refusals. */
const FAILURES: ReadonlySet<WorkflowStoreErrorCode> = new Set<WorkflowStoreErrorCode>(['store-unavailable', 'outcome-unknown', 'storage-full', 'storage-format', 'internal']);

type Operation = (...args: unknown[]) => Promise<unknown>;

// Resolved through the global provider on each span: a no-op until an SDK registers one (and then, at no extra cost).
const tracer = trace.getTracer(STORE_TRACER_NAME);

/** What the global proxy provider delegates to while no SDK has registered one (the API's no-op provider). */
const NO_SDK = new ProxyTracerProvider().getDelegate();

/**
 * Whether an OpenTelemetry SDK has registered a tracer provider, asked on every call (one may register or go at any
 * time). Without one, every span would be a no-op: making it anyway (attributes, span, context, a wrapping await)
 * was ~7 % of a 1 KB store.get's client CPU. A provider this cannot recognise counts as an SDK: spans are made.
 */
function sdkRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_SDK;
}

/**
 * Wraps each operation of `prototype` in an active span `workflow-store <op>` with the tenant, the workflow id when
 * the call names one, and the error code when it fails; never the state, the patch or any other argument. Spans made
 * inside the call (the Redis commands) are its children. Without an OpenTelemetry SDK no span is made.
 */
export function traceStoreOperations<T extends { readonly tenant: string }>(prototype: T, operations: readonly (TracedOperation & keyof T)[]): void {
  for (const operation of operations) {
    // The operations are the async methods listed above; each is replaced by a wrapper with the same signature.
    const original = prototype[operation] as unknown as Operation;
    const name = `${STORE_TRACER_NAME} ${operation}`;
    const traced = function (this: T, ...args: unknown[]): Promise<unknown> {
      if (!sdkRegistered()) return original.apply(this, args);
      const attributes: Attributes = { 'workflow_store.operation': operation, 'workflow_store.tenant': this.tenant };
      if (typeof args[0] === 'string') attributes['workflow_store.workflow_id'] = args[0];
      return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) => run(span, original.apply(this, args)));
    };
    Object.defineProperty(prototype, operation, { value: traced, writable: true, configurable: true, enumerable: false });
  }
}

async function run(span: Span, call: Promise<unknown>): Promise<unknown> {
  try {
    const result = await call;
    if (!span.isRecording()) return result;
    // A create without an id gets one from the store: name it on the span too.
    if (typeof result === 'object' && result !== null && 'id' in result && typeof result.id === 'string') span.setAttribute('workflow_store.workflow_id', result.id);
    return result;
  } catch (error) {
    if (span.isRecording()) {
      const code: WorkflowStoreErrorCode = error instanceof WorkflowStoreError ? error.code : 'internal';
      span.setAttribute('workflow_store.error_code', code);
      // Refusals (not found, version conflict, invalid input, ...) are answers, not failures of the store.
      if (FAILURES.has(code)) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
    }
    throw error;
  } finally {
    span.end();
  }
}
