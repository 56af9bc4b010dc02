import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** OTLP span kinds (opentelemetry/proto/trace/v1/trace.proto). */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

/** One span as OTLP/HTTP JSON carries it (ids in hex), with its attributes flattened and its resource's. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean | undefined>;
  resource: Record<string, string | number | boolean | undefined>;
}

interface ExportRequest {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: RawSpan[] }[] }[];
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
}

function flatten(attributes: KeyValue[] = []): ReceivedSpan['attributes'] {
  const out: ReceivedSpan['attributes'] = {};
  for (const { key, value } of attributes) out[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue === undefined ? undefined : Number(value.intValue));
  return out;
}

/**
 * A local OTLP/HTTP receiver (JSON encoding) on a free loopback port: accepts POST /v1/traces and keeps the spans.
 * `waitFor` resolves once the spans received satisfy a condition (bounded; it never asserts a duration).
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** The raw request bodies, to check what is never sent (e.g. a workflow's state). */
  readonly bodies: string[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((request, response) => receiver?.handle(request, response));
    receiver = new OtlpReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves with the spans once `condition` holds for them; rejects after `limitMs` with what was received. */
  waitFor(condition: (spans: ReceivedSpan[]) => boolean, limitMs = 15_000): Promise<ReceivedSpan[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition(this.spans)) return;
        cleanup();
        resolve(this.spans);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`spans not received within ${limitMs} ms; got: ${this.spans.map((s) => s.name).join(', ') || 'none'}`));
      }, limitMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const json = request.method === 'POST' && request.url === '/v1/traces' && request.headers['content-type'] === 'application/json';
      if (!json) {
        response.writeHead(404).end();
        return;
      }
      this.bodies.push(body);
      for (const resourceSpans of (JSON.parse(body) as ExportRequest).resourceSpans ?? []) {
        const resource = flatten(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            this.spans.push({ ...span, parentSpanId: span.parentSpanId ?? '', attributes: flatten(span.attributes), resource });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const listener of [...this.listeners]) listener();
    });
  }
}
